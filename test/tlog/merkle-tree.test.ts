import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inclusionProof, leafHash, rootHash, verifyInclusion } from '../../src/tlog/merkle.js';
import { MerkleTree } from '../../src/tlog/merkle-tree.js';
import { encodeBase64 } from '../../src/tlog/base64.js';

function leaves(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    leafHash(createHash('sha256').update(`leaf ${i}`).digest()),
  );
}

describe('MerkleTree (levels)', () => {
  it('has the root and every path of the RFC 9162 recursion, for every size up to 300', () => {
    const all = leaves(300);
    for (let size = 0; size <= 300; size++) {
      const tree = new MerkleTree(all.slice(0, size));
      expect(
        Buffer.from(tree.root()).equals(Buffer.from(rootHash(all.slice(0, size)))),
        `${size}`,
      ).toBe(true);
      // Every path at small sizes; at larger ones the edges and a stride through the middle.
      const indices =
        size <= 40
          ? Array.from({ length: size }, (_, i) => i)
          : [0, 1, size - 2, size - 1, Math.floor(size / 2), Math.floor(size / 3)];
      for (const index of indices) {
        const proof = tree.inclusionProof(index);
        expect(
          proof.map((h) => Buffer.from(h).toString('hex')),
          `${index}/${size}`,
        ).toEqual(inclusionProof(all, index, size).map((h) => Buffer.from(h).toString('hex')));
        expect(verifyInclusion(all[index] as Uint8Array, index, size, proof, tree.root()).ok).toBe(
          true,
        );
        expect(tree.provesLeaf(index, proof)).toBe(true);
        expect(tree.provesLeafText(index, proof.map(encodeBase64))).toBe(true);
      }
    }
  });

  it('refuses a path with any byte changed, one hash too few or one too many, or another leaf', () => {
    const tree = new MerkleTree(leaves(37));
    const proof = tree.inclusionProof(21);
    for (let at = 0; at < proof.length; at++) {
      const changed = proof.map((hash) => Uint8Array.from(hash));
      const hash = changed[at] as Uint8Array;
      hash[7] = (hash[7] as number) ^ 1;
      expect(tree.provesLeaf(21, changed)).toBe(false);
      expect(tree.provesLeafText(21, changed.map(encodeBase64))).toBe(false);
    }
    expect(tree.provesLeaf(21, proof.slice(1))).toBe(false);
    expect(tree.provesLeaf(21, [...proof, proof[0] as Uint8Array])).toBe(false);
    expect(tree.provesLeaf(22, proof)).toBe(false);
    expect(tree.provesLeafText(21, proof.slice(1).map(encodeBase64))).toBe(false);
    expect(tree.provesLeafText(22, proof.map(encodeBase64))).toBe(false);
    expect(tree.provesLeaf(37, proof)).toBe(false);
    expect(() => tree.inclusionProof(-1)).toThrow(RangeError);
  });
});
