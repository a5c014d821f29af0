import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../../src/tlog/merkle.js';

// The definitions of RFC 9162 §2.1 written out as recursion, with their own hashing, to check
// the iterative code against.

function sha256(...parts: Uint8Array[]): Uint8Array {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part);
  return new Uint8Array(digest.digest());
}

function splitOf(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function mth(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0] as Uint8Array;
  const k = splitOf(leaves.length);
  return sha256(Uint8Array.of(1), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

function path(m: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return [];
  const k = splitOf(leaves.length);
  return m < k
    ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))]
    : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

/** Which side the sibling is on at each level of PATH(m, D[n]), leaf first. */
function pathShape(m: number, n: number): string {
  if (n <= 1) return '';
  const k = splitOf(n);
  return m < k ? `${pathShape(m, k)}R` : `${pathShape(m - k, n - k)}L`;
}

function subproof(m: number, leaves: readonly Uint8Array[], complete: boolean): Uint8Array[] {
  const n = leaves.length;
  if (m === n) return complete ? [] : [mth(leaves)];
  const k = splitOf(n);
  return m <= k
    ? [...subproof(m, leaves.slice(0, k), complete), mth(leaves.slice(k))]
    : [...subproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))];
}

// Room for every size a flipped low bit can reach from a size of at most 300.
const MAX_SIZE = 300;
const LOW_BITS = 9;
const LEAF_HASHES = Array.from({ length: MAX_SIZE + 2 ** (LOW_BITS - 1) }, (_, i) =>
  sha256(Uint8Array.of(0), Buffer.from(`entry ${i}`)),
);
const rootCache = new Map<number, Uint8Array>();
function rootOf(size: number): Uint8Array {
  let root = rootCache.get(size);
  if (root === undefined) {
    root = mth(LEAF_HASHES.slice(0, size));
    rootCache.set(size, root);
  }
  return root;
}

const hex = (value: Uint8Array): string => Buffer.from(value).toString('hex');

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
}

// A size with one bit flipped; bits at and above LOW_BITS take it past every tree here.
function flipNumber(value: number, bit: number): number {
  return Math.floor(value / 2 ** bit) % 2 === 1 ? value - 2 ** bit : value + 2 ** bit;
}

const sizeAndIndex = fc
  .integer({ min: 1, max: MAX_SIZE })
  .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));
const fromAndTo = fc
  .integer({ min: 1, max: MAX_SIZE })
  .chain((to) => fc.tuple(fc.integer({ min: 1, max: to }), fc.constant(to)));
const hashBit = fc.integer({ min: 0, max: 255 });
const numberBit = fc.integer({ min: 0, max: 52 });

describe('Merkle tree hash against the recursive definition', () => {
  it('agrees with MTH for arbitrary leaves', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 70 }), (leaves) => {
        const hashes = leaves.map(leafHash);
        const reference = leaves.map((leaf) => sha256(Uint8Array.of(0), leaf));
        expect(hex(rootHash(hashes))).toBe(hex(mth(reference)));
      }),
    );
  });

  it('agrees with MTH for every size up to 300', () => {
    for (let size = 0; size <= MAX_SIZE; size += 1) {
      expect(hex(rootHash(LEAF_HASHES.slice(0, size)))).toBe(hex(rootOf(size)));
    }
  });
});

describe('inclusion proofs against the recursive definition', () => {
  it('produces PATH(index, D[size]) and verifies it', () => {
    fc.assert(
      fc.property(sizeAndIndex, ([size, index]) => {
        const proof = inclusionProof(LEAF_HASHES, index, size);
        const leaves = LEAF_HASHES.slice(0, size);
        expect(proof.map(hex)).toEqual(path(index, leaves).map(hex));
        const leaf = LEAF_HASHES[index] as Uint8Array;
        expect(verifyInclusion(leaf, index, size, proof, rootOf(size))).toEqual({ ok: true });
      }),
    );
  });

  it('fails on any single-bit change to a proof entry, the leaf or the root', () => {
    const target = fc.constantFrom('proof', 'leaf', 'root');
    fc.assert(
      fc.property(sizeAndIndex, target, fc.nat(), hashBit, ([size, index], what, at, bit) => {
        const proof = inclusionProof(LEAF_HASHES, index, size);
        let leaf = LEAF_HASHES[index] as Uint8Array;
        let root = rootOf(size);
        if (what === 'proof') {
          if (proof.length === 0) return;
          const i = at % proof.length;
          proof[i] = flipBit(proof[i] as Uint8Array, bit);
        } else if (what === 'leaf') {
          leaf = flipBit(leaf, bit);
        } else {
          root = flipBit(root, bit);
        }
        expect(verifyInclusion(leaf, index, size, proof, root).ok).toBe(false);
      }),
    );
  });

  it('fails on any single-bit change to the index', () => {
    fc.assert(
      fc.property(sizeAndIndex, numberBit, ([size, index], bit) => {
        const proof = inclusionProof(LEAF_HASHES, index, size);
        const leaf = LEAF_HASHES[index] as Uint8Array;
        const changed = flipNumber(index, bit);
        expect(verifyInclusion(leaf, changed, size, proof, rootOf(size)).ok).toBe(false);
      }),
    );
  });

  it('fails on any single-bit change to the size, against the root of that size', () => {
    fc.assert(
      fc.property(sizeAndIndex, numberBit, ([size, index], bit) => {
        const proof = inclusionProof(LEAF_HASHES, index, size);
        const leaf = LEAF_HASHES[index] as Uint8Array;
        const changed = flipNumber(size, bit);
        // A checkpoint of the changed size would carry its own root. Beyond the leaves here
        // there is no such root; the proof is then too short for the deeper tree anyway.
        const root = bit < LOW_BITS ? rootOf(changed) : rootOf(size);
        expect(verifyInclusion(leaf, index, changed, proof, root).ok).toBe(false);
        // Against the original root, a changed size passes exactly when RFC 9162 walks the
        // same path for it: the size is bound only through the shape.
        const sameShape = index < changed && pathShape(index, changed) === pathShape(index, size);
        expect(verifyInclusion(leaf, index, changed, proof, rootOf(size)).ok).toBe(sameShape);
      }),
    );
  });
});

describe('consistency proofs against the recursive definition', () => {
  it('produces SUBPROOF(from, D[to], true) and verifies it', () => {
    fc.assert(
      fc.property(fromAndTo, ([from, to]) => {
        const proof = consistencyProof(LEAF_HASHES, from, to);
        const leaves = LEAF_HASHES.slice(0, to);
        expect(proof.map(hex)).toEqual(subproof(from, leaves, true).map(hex));
        expect(verifyConsistency(from, to, rootOf(from), rootOf(to), proof)).toEqual({
          ok: true,
        });
      }),
    );
  });

  it('fails on any single-bit change to a proof entry or either root', () => {
    const target = fc.constantFrom('proof', 'from-root', 'to-root');
    fc.assert(
      fc.property(fromAndTo, target, fc.nat(), hashBit, ([from, to], what, at, bit) => {
        const proof = consistencyProof(LEAF_HASHES, from, to);
        let rootFrom = rootOf(from);
        let rootTo = rootOf(to);
        if (what === 'proof') {
          if (proof.length === 0) return;
          const i = at % proof.length;
          proof[i] = flipBit(proof[i] as Uint8Array, bit);
        } else if (what === 'from-root') {
          rootFrom = flipBit(rootFrom, bit);
        } else {
          rootTo = flipBit(rootTo, bit);
        }
        expect(verifyConsistency(from, to, rootFrom, rootTo, proof).ok).toBe(false);
      }),
    );
  });

  it('fails on any single-bit change to either size', () => {
    const target = fc.constantFrom('from', 'to');
    fc.assert(
      fc.property(fromAndTo, target, numberBit, ([from, to], what, bit) => {
        const proof = consistencyProof(LEAF_HASHES, from, to);
        const low = bit < LOW_BITS;
        if (what === 'from') {
          const changed = flipNumber(from, bit);
          const root = low ? rootOf(changed) : rootOf(from);
          expect(verifyConsistency(changed, to, root, rootOf(to), proof).ok).toBe(false);
          expect(verifyConsistency(changed, to, rootOf(from), rootOf(to), proof).ok).toBe(false);
        } else {
          const changed = flipNumber(to, bit);
          const root = low ? rootOf(changed) : rootOf(to);
          expect(verifyConsistency(from, changed, rootOf(from), root, proof).ok).toBe(false);
        }
      }),
    );
  });
});
