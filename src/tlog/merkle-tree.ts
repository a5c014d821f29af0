import { encodeBase64 } from './base64.js';
import { nodeHash, emptyRoot, HASH_SIZE } from './merkle.js';

/**
 * A whole RFC 9162 tree held in memory, level by level, for when many proofs of one tree are
 * wanted (an export proves every entry of a timeline; a verifier checks them all). Level 0 is
 * the leaf hashes; each level above pairs its nodes left to right, and an odd last node is
 * carried up unchanged. Node i of level L is then MTH of the leaves [i·2^L, min((i+1)·2^L, n)):
 * the right edge of a tree whose size is not a power of two is exactly RFC 9162's split at the
 * largest power of two, so the root and every path are the ones merkle.ts computes leaf by
 * leaf (test/tlog/merkle-tree.test.ts checks that for every size up to a few hundred).
 *
 * Building costs n − 1 node hashes once; a path then costs nothing but lookups, and checking a
 * given path is a byte comparison: in a tree whose leaves are all known, the path of a leaf is
 * unique, so a proof verifies exactly when it equals the tree's.
 */
export class MerkleTree {
  private readonly levels: Uint8Array[][];

  /** @throws RangeError if a leaf hash is not 32 bytes. */
  constructor(leafHashes: readonly Uint8Array[]) {
    for (const leaf of leafHashes)
      if (leaf.length !== HASH_SIZE) throw new RangeError('a leaf hash is 32 bytes');
    const levels: Uint8Array[][] = [[...leafHashes]];
    let level = levels[0] as Uint8Array[];
    while (level.length > 1) {
      const up: Uint8Array[] = [];
      for (let i = 0; i + 1 < level.length; i += 2)
        up.push(nodeHash(level[i] as Uint8Array, level[i + 1] as Uint8Array));
      if (level.length % 2 === 1) up.push(level[level.length - 1] as Uint8Array);
      levels.push(up);
      level = up;
    }
    this.levels = levels;
  }

  /** The leaf hashes, in order (level 0). */
  get leaves(): readonly Uint8Array[] {
    return this.levels[0] as Uint8Array[];
  }

  get size(): number {
    return (this.levels[0] as Uint8Array[]).length;
  }

  root(): Uint8Array {
    if (this.size === 0) return emptyRoot();
    return (this.levels[this.levels.length - 1] as Uint8Array[])[0] as Uint8Array;
  }

  /**
   * PATH(index, D[size]) of the whole tree, bottom-up: at each level the sibling, where there
   * is one (a carried-up node has none at its level).
   *
   * @throws RangeError unless 0 ≤ index < size.
   */
  inclusionProof(index: number): Uint8Array[] {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size)
      throw new RangeError(`index ${index} is not a leaf of a tree of size ${this.size}`);
    const path: Uint8Array[] = [];
    let position = index;
    for (let level = 0; level < this.levels.length - 1; level++) {
      const nodes = this.levels[level] as Uint8Array[];
      const sibling = position % 2 === 0 ? position + 1 : position - 1;
      if (sibling < nodes.length) path.push(nodes[sibling] as Uint8Array);
      position = Math.floor(position / 2);
    }
    return path;
  }

  /**
   * {@link provesLeaf} of a proof as its base64 texts (as a bundle carries it): each node is
   * encoded once, however many paths go through it, and nothing is decoded.
   */
  provesLeafText(index: number, proof: readonly string[]): boolean {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) return false;
    let at = 0;
    let position = index;
    for (let level = 0; level < this.levels.length - 1; level++) {
      const nodes = this.levels[level] as Uint8Array[];
      const sibling = position % 2 === 0 ? position + 1 : position - 1;
      if (sibling < nodes.length) {
        if (proof[at] !== this.textOf(level, sibling)) return false;
        at += 1;
      }
      position = Math.floor(position / 2);
    }
    return at === proof.length;
  }

  private readonly texts = new Map<number, string[]>();

  private textOf(level: number, index: number): string {
    let texts = this.texts.get(level);
    if (texts === undefined) {
      texts = [];
      this.texts.set(level, texts);
    }
    let text = texts[index];
    if (text === undefined) {
      text = encodeBase64((this.levels[level] as Uint8Array[])[index] as Uint8Array);
      texts[index] = text;
    }
    return text;
  }

  /** Does `proof` prove the leaf at `index` in this tree? (It must be the tree's own path.) */
  provesLeaf(index: number, proof: readonly Uint8Array[]): boolean {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) return false;
    const expected = this.inclusionProof(index);
    return (
      expected.length === proof.length &&
      expected.every((hash, at) => sameBytes(hash, proof[at] as Uint8Array))
    );
  }
}

/** Are two byte strings equal? (Hashes of a public log: no need for constant time.) */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
