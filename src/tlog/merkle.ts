import { hash } from 'node:crypto';

/**
 * The Merkle tree of a transparency log, as RFC 9162 §2.1 defines it (the same hashing as
 * RFC 6962 §2.1): leaf hash SHA-256(0x00 || leaf), interior node SHA-256(0x01 || left || right),
 * the empty tree SHA-256(""), and a tree of n > 1 leaves split at the largest power of two
 * smaller than n. Inclusion and consistency proofs are produced with the PATH and SUBPROOF
 * definitions of §2.1.3.1 and §2.1.4.1, and checked with the verification algorithms of
 * §2.1.3.2 and §2.1.4.2, step by step.
 *
 * Invariants:
 * - Every hash is 32 bytes. Functions never mutate their arguments; every returned hash is a
 *   fresh array.
 * - Tree sizes and indices are non-negative safe integers (at most 2^53 − 1). JavaScript's bit
 *   operators work on 32 bits, so the algorithms' shifts are done as exact halvings instead.
 * - The producers (`rootHash`, `inclusionProof`, `consistencyProof`) take the log's own leaf
 *   hashes and throw a RangeError on arguments that describe no tree or proof: that is a bug in
 *   the caller. The verifiers take what arrives from anyone and never throw: they return a
 *   {@link ProofCheck} whose failure names the reason.
 * - Work is linear: a root over n leaf hashes costs n − 1 node hashes, and a proof costs fewer
 *   than `size` (each proof node is the root of a different, disjoint subtree).
 */

export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
// No tree of a safe-integer size has a longer proof (a path is at most 53 levels, and a
// consistency proof adds one node); refusing longer ones first bounds the work on hostile input.
const MAX_PROOF_LENGTH = 64;

/** Why a proof did not verify. */
export type ProofFailure =
  /** An index or size is not a non-negative safe integer. */
  | 'malformed-number'
  /** A leaf hash, root or proof entry is not 32 bytes. */
  | 'malformed-hash'
  /** Inclusion: the index is not below the tree size. */
  | 'index-out-of-range'
  /** Consistency: the first size is larger than the second. */
  | 'sizes-out-of-order'
  /** Consistency from the empty tree: there is nothing a proof could show. */
  | 'empty-tree'
  /** Consistency: the sizes differ but the proof is empty (RFC 9162 §2.1.4.2 step 1). */
  | 'empty-proof'
  /** Consistency: the sizes are equal, so the proof must be empty, and it is not. */
  | 'proof-not-empty'
  /** The proof has entries left once the path reached the root (step 4a / 6a). */
  | 'proof-too-long'
  /** The proof ended before the path reached the root (the `sn` of the last step is not 0). */
  | 'proof-too-short'
  /** Inclusion, or consistency between equal sizes: the root computed is not the one given. */
  | 'root-mismatch'
  /** Consistency: the proof does not rebuild the first root. */
  | 'from-root-mismatch'
  /** Consistency: the proof does not rebuild the second root. */
  | 'to-root-mismatch';

export type ProofCheck = { ok: true } | { ok: false; reason: ProofFailure; message: string };

// Everything here is synchronous and `hash` has consumed its input when it returns, so one
// scratch buffer serves every node hash without an allocation each.
const nodeInput = new Uint8Array(1 + 2 * HASH_SIZE);
nodeInput[0] = NODE_PREFIX;

function sha256(data: Uint8Array): Uint8Array {
  // One-shot `hash` is about twice as fast as createHash for 65-byte inputs, which is what
  // keeps the root of 100,000 leaves near 100 ms.
  return hash('sha256', data, 'buffer');
}

/** SHA-256(0x00 || leaf): the hash under which a log entry enters the tree. */
export function leafHash(leaf: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + leaf.length);
  input[0] = LEAF_PREFIX;
  input.set(leaf, 1);
  return sha256(input);
}

/**
 * SHA-256(0x01 || left || right).
 *
 * @throws RangeError if either child is not a 32-byte hash.
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (!isHash(left) || !isHash(right)) throw new RangeError('node children must be 32 bytes');
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return sha256(nodeInput);
}

/** The root of the empty tree, SHA-256 of no bytes. */
export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array(0));
}

/**
 * MTH(D[n]) over the given leaf hashes (already `leafHash`ed).
 *
 * @throws RangeError if an entry is not a 32-byte hash.
 */
export function rootHash(leafHashes: readonly Uint8Array[]): Uint8Array {
  return subtreeHash(leafHashes, 0, leafHashes.length);
}

/**
 * The audit path for the leaf at `index` in the tree of the first `size` leaf hashes:
 * PATH(index, D[size]), from the leaf's sibling up to the child of the root.
 *
 * @throws RangeError unless 0 ≤ index < size ≤ leafHashes.length.
 */
export function inclusionProof(
  leafHashes: readonly Uint8Array[],
  index: number,
  size: number,
): Uint8Array[] {
  requireSize(size, leafHashes.length, 'size');
  if (!isCount(index) || index >= size) {
    throw new RangeError(`index ${index} is not a leaf of a tree of size ${size}`);
  }
  // Walk down from the root; each step keeps the half holding the leaf and records the root
  // of the other half. PATH lists those bottom-up, hence the reversal.
  const path: Uint8Array[] = [];
  let low = 0;
  let high = size;
  while (high - low > 1) {
    const split = low + largestPowerOfTwoBelow(high - low);
    if (index < split) {
      path.push(subtreeHash(leafHashes, split, high));
      high = split;
    } else {
      path.push(subtreeHash(leafHashes, low, split));
      low = split;
    }
  }
  return path.reverse();
}

/**
 * The proof that the tree of the first `to` leaf hashes extends the tree of the first `from`:
 * PROOF(from, D[to]) = SUBPROOF(from, D[to], true). Empty when the sizes are equal.
 *
 * @throws RangeError unless 0 < from ≤ to ≤ leafHashes.length (the verifier rejects every
 *   proof from the empty tree, so none is produced).
 */
export function consistencyProof(
  leafHashes: readonly Uint8Array[],
  from: number,
  to: number,
): Uint8Array[] {
  requireSize(to, leafHashes.length, 'to');
  if (!isCount(from) || from === 0 || from > to) {
    throw new RangeError(`no consistency proof from size ${from} to size ${to}`);
  }
  // SUBPROOF walked from the root down: `old` is the old tree's extent within [low, high),
  // and `wholeSubtree` is SUBPROOF's flag b: whether [low, high) still starts at leaf 0, so
  // that the old root is known to the verifier and need not be sent.
  const proof: Uint8Array[] = [];
  let low = 0;
  let high = to;
  let old = from;
  let wholeSubtree = true;
  while (old !== high - low) {
    const half = largestPowerOfTwoBelow(high - low);
    if (old <= half) {
      proof.push(subtreeHash(leafHashes, low + half, high));
      high = low + half;
    } else {
      proof.push(subtreeHash(leafHashes, low, low + half));
      low += half;
      old -= half;
      wholeSubtree = false;
    }
  }
  if (!wholeSubtree) proof.push(subtreeHash(leafHashes, low, high));
  return proof.reverse();
}

/**
 * RFC 9162 §2.1.3.2: does `proof` show that `leafHash` is the leaf at `index` of the tree of
 * `size` leaves whose root is `root`? Note that the algorithm binds the size only through the
 * shape of the path: a size with the same left/right pattern for that index computes the same
 * root. A checkpoint signs size and root together, which is what makes that harmless.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): ProofCheck {
  if (!isCount(index) || !isCount(size)) {
    return fail('malformed-number', `index ${index} and size ${size} must be safe integers ≥ 0`);
  }
  if (!isHash(leafHash) || !isHash(root)) {
    return fail('malformed-hash', 'the leaf hash and the root must be 32 bytes');
  }
  // 1.
  if (index >= size) {
    return fail('index-out-of-range', `index ${index} is not below the tree size ${size}`);
  }
  if (proof.length > MAX_PROOF_LENGTH) return tooLong(proof.length);
  // 2., 3.
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  // 4.
  for (let i = 0; i < proof.length; i += 1) {
    const p = proof[i];
    if (!isHash(p)) return fail('malformed-hash', `proof entry ${i} is not 32 bytes`);
    // 4a.
    if (sn === 0) {
      return fail('proof-too-long', `the path reached the root with ${proof.length - i} left`);
    }
    // 4b.
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // The path skips the levels where this node is the right border's lone left child.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    // 4c.
    fn = half(fn);
    sn = half(sn);
  }
  // 5.
  if (sn !== 0) {
    return fail('proof-too-short', `the proof ended below the root of a tree of size ${size}`);
  }
  if (!bytesEqual(r, root)) {
    return fail('root-mismatch', 'the proof leads to a different root');
  }
  return { ok: true };
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show that the tree of `to` leaves with root `rootTo` extends
 * the tree of `from` leaves with root `rootFrom`? Equal sizes need an empty proof and equal
 * roots. A proof from the empty tree is refused ('empty-tree'), as the reference
 * implementation does: every tree extends it, so such a "proof" shows nothing. As with
 * inclusion, `to` is bound only through the shape of the proof; a checkpoint binds it to
 * `rootTo`.
 */
export function verifyConsistency(
  from: number,
  to: number,
  rootFrom: Uint8Array,
  rootTo: Uint8Array,
  proof: readonly Uint8Array[],
): ProofCheck {
  if (!isCount(from) || !isCount(to)) {
    return fail('malformed-number', `sizes ${from} and ${to} must be safe integers ≥ 0`);
  }
  if (!isHash(rootFrom) || !isHash(rootTo)) {
    return fail('malformed-hash', 'both roots must be 32 bytes');
  }
  if (from > to) return fail('sizes-out-of-order', `size ${from} is larger than size ${to}`);
  if (from === 0) return fail('empty-tree', 'a consistency proof from the empty tree is void');
  if (from === to) {
    if (proof.length > 0) {
      return fail('proof-not-empty', `equal sizes need no proof, got ${proof.length} entries`);
    }
    if (!bytesEqual(rootFrom, rootTo)) {
      return fail('root-mismatch', `two different roots for the same size ${from}`);
    }
    return { ok: true };
  }
  // 1.
  if (proof.length === 0) return fail('empty-proof', `sizes ${from} and ${to} need a proof`);
  if (proof.length > MAX_PROOF_LENGTH) return tooLong(proof.length);
  for (let i = 0; i < proof.length; i += 1) {
    if (!isHash(proof[i])) return fail('malformed-hash', `proof entry ${i} is not 32 bytes`);
  }
  // 2. An old tree of 2^k leaves is a complete subtree of the new one, so its root is the
  // seed of the path and the log leaves it out.
  const path = isPowerOfTwo(from) ? [rootFrom, ...proof] : proof;
  // 3.
  let fn = from - 1;
  let sn = to - 1;
  // 4.
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5.
  let fr = path[0] as Uint8Array;
  let sr = fr;
  // 6.
  for (let i = 1; i < path.length; i += 1) {
    const c = path[i] as Uint8Array;
    // 6a.
    if (sn === 0) {
      return fail('proof-too-long', `the path reached the root with ${path.length - i} left`);
    }
    // 6b.
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    // 6c.
    fn = half(fn);
    sn = half(sn);
  }
  // 7.
  if (sn !== 0) {
    return fail('proof-too-short', `the proof ended below the root of a tree of size ${to}`);
  }
  if (!bytesEqual(fr, rootFrom)) {
    return fail('from-root-mismatch', `the proof does not rebuild the root of size ${from}`);
  }
  if (!bytesEqual(sr, rootTo)) {
    return fail('to-root-mismatch', `the proof does not rebuild the root of size ${to}`);
  }
  return { ok: true };
}

/**
 * MTH(D[start:end]), computed left to right with a stack of complete subtrees: after the
 * leaf numbered j (counted from `start`) the stack merges once per trailing 1-bit of j, so
 * it holds the complete subtrees of the prefix, largest first, and folding it from the right
 * splits exactly where §2.1.1 splits.
 */
function subtreeHash(leafHashes: readonly Uint8Array[], start: number, end: number): Uint8Array {
  if (start === end) return emptyRoot();
  const stack: Uint8Array[] = [];
  for (let i = start; i < end; i += 1) {
    let node = leafHashes[i];
    if (!isHash(node)) throw new RangeError(`leaf hash ${i} is not 32 bytes`);
    for (let j = i - start; isOdd(j); j = (j - 1) / 2) {
      node = nodeHash(stack.pop() as Uint8Array, node);
    }
    stack.push(node);
  }
  let root = stack.pop() as Uint8Array;
  while (stack.length > 0) root = nodeHash(stack.pop() as Uint8Array, root);
  // A one-leaf tree's root is the caller's own leaf hash; hand back a copy.
  return end - start === 1 ? Uint8Array.from(root) : root;
}

function requireSize(size: number, available: number, label: string): void {
  if (!isCount(size) || size === 0 || size > available) {
    throw new RangeError(`${label} ${size} is not a tree size within ${available} leaves`);
  }
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function isOdd(n: number): boolean {
  return n % 2 === 1;
}

function half(n: number): number {
  return Math.floor(n / 2);
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

function tooLong(length: number): ProofCheck {
  return fail('proof-too-long', `${length} entries; no proof is longer than ${MAX_PROOF_LENGTH}`);
}

function fail(reason: ProofFailure, message: string): ProofCheck {
  return { ok: false, reason, message };
}
