import { describe, expect, it } from 'vitest';
import type { ProofCheck } from '../../src/tlog/merkle.js';
import {
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  nodeHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../../src/tlog/merkle.js';

// The 8-leaf tree of the RFC 6962 reference implementation, as published in
// transparency-dev/merkle (https://github.com/transparency-dev/merkle):
// - leaves, leaf and node hashes, roots: testonly/constants.go (LeafInputs, NodeHashes,
//   RootHashes) at commit 417fb0c314750d94e53942e9f92e79b6d35915db;
// - inclusion and consistency proofs: proof/verify_test.go (inclusionProofs,
//   consistencyProofs, whose leaf numbers are 1-based) at commit
//   9ca563d3ac2bab915317cf153ed4f952f6e74c07, the same vectors the later
//   testdata/inclusion/*/happy-path.json and testdata/consistency/*/happy-path.json carry;
// - the corruptions mirror corruptInclusionProof and corruptConsistencyProof there.

const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
];

// NodeHashes()[level][index].
const NODES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  [
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];

// RootHashes()[size], size 0 to 8.
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

// inclusionProofs, with the 1-based leaf numbers turned into indices.
const INCLUSION = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    index: 2,
    size: 3,
    proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'],
  },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

// consistencyProofs.
const CONSISTENCY = [
  { from: 1, to: 1, proof: [] },
  {
    from: 1,
    to: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    from: 6,
    to: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    from: 2,
    to: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    from: 6,
    to: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

// sha256SomeHash of the reference tests: a 32-byte value that is no node of the tree.
const SOME_HASH = 'abacaba000000000000000000000000000000000000000000060061e00123456';

const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const hex = (value: Uint8Array): string => Buffer.from(value).toString('hex');
const leafHashes = LEAVES.map((leaf) => leafHash(bytes(leaf)));

function flipFirstByte(node: Uint8Array, mask: number): Uint8Array {
  const copy = Uint8Array.from(node);
  copy[0] = (copy[0] as number) ^ mask;
  return copy;
}

function reasonOf(check: ProofCheck): string {
  return check.ok ? 'ok' : check.reason;
}

describe('Merkle tree hashes: the RFC 6962 reference tree', () => {
  it('hashes each leaf as SHA-256(0x00 || leaf)', () => {
    expect(leafHashes.map(hex)).toEqual(NODES[0]);
  });

  it('hashes interior nodes as SHA-256(0x01 || left || right)', () => {
    for (let level = 1; level < NODES.length; level += 1) {
      const below = (NODES[level - 1] as string[]).map(bytes);
      const row = (NODES[level] as string[]).map((_, i) =>
        hex(nodeHash(below[2 * i] as Uint8Array, below[2 * i + 1] as Uint8Array)),
      );
      expect(row).toEqual(NODES[level]);
    }
  });

  it('gives the published root for every size from 0 to 8', () => {
    const roots = ROOTS.map((_, size) => hex(rootHash(leafHashes.slice(0, size))));
    expect(roots).toEqual(ROOTS);
    expect(hex(emptyRoot())).toBe(ROOTS[0]);
  });

  it('does not hand back the caller’s own leaf hash as the root of one leaf', () => {
    const root = rootHash(leafHashes.slice(0, 1));
    expect(hex(root)).toBe(ROOTS[1]);
    expect(root).not.toBe(leafHashes[0]);
  });

  it('refuses leaf hashes that are not 32 bytes', () => {
    expect(() => rootHash([new Uint8Array(31)])).toThrow(RangeError);
    expect(() => nodeHash(new Uint8Array(32), new Uint8Array(33))).toThrow(RangeError);
  });
});

describe('inclusion proofs: the reference vectors', () => {
  for (const { index, size, proof } of INCLUSION) {
    const root = bytes(ROOTS[size] as string);
    const leaf = leafHashes[index] as Uint8Array;
    const path = proof.map(bytes);

    it(`produces and verifies the proof for leaf ${index} of ${size}`, () => {
      expect(inclusionProof(leafHashes, index, size).map(hex)).toEqual(proof);
      expect(verifyInclusion(leaf, index, size, path, root)).toEqual({ ok: true });
    });

    it(`rejects every corruption of the proof for leaf ${index} of ${size}`, () => {
      const corrupt: [string, ProofCheck][] = [
        ['index - 1', verifyInclusion(leaf, index - 1, size, path, root)],
        ['index + 1', verifyInclusion(leaf, index + 1, size, path, root)],
        ['index ^ 2', verifyInclusion(leaf, index ^ 2, size, path, root)],
        ['size * 2', verifyInclusion(leaf, index, size * 2, path, root)],
        ['size / 2', verifyInclusion(leaf, index, Math.floor(size / 2), path, root)],
        ['wrong leaf', verifyInclusion(bytes(SOME_HASH), index, size, path, root)],
        ['empty root', verifyInclusion(leaf, index, size, path, bytes(ROOTS[0] as string))],
        ['random root', verifyInclusion(leaf, index, size, path, bytes(SOME_HASH))],
        ['trailing garbage', verifyInclusion(leaf, index, size, [...path, new Uint8Array()], root)],
        ['trailing root', verifyInclusion(leaf, index, size, [...path, root], root)],
        ['leading garbage', verifyInclusion(leaf, index, size, [new Uint8Array(), ...path], root)],
        ['leading root', verifyInclusion(leaf, index, size, [root, ...path], root)],
      ];
      for (let i = 0; i < path.length; i += 1) {
        const flipped = path.map((node, j) => (j === i ? flipFirstByte(node, 8) : node));
        corrupt.push([`proof[${i}] bit 3`, verifyInclusion(leaf, index, size, flipped, root)]);
      }
      if (path.length > 0) {
        const removed = path.slice(0, -1);
        corrupt.push(['removed entry', verifyInclusion(leaf, index, size, removed, root)]);
      }
      if (path.length > 1) {
        const inserted = [path[0] as Uint8Array, bytes(SOME_HASH), ...path.slice(1)];
        corrupt.push(['inserted entry', verifyInclusion(leaf, index, size, inserted, root)]);
      }
      for (const [label, check] of corrupt) expect([label, check.ok]).toEqual([label, false]);
    });
  }

  it('names the reason for each kind of failure', () => {
    const root = bytes(ROOTS[8] as string);
    const leaf = leafHashes[0] as Uint8Array;
    const path = inclusionProof(leafHashes, 0, 8);
    expect(reasonOf(verifyInclusion(leaf, 0, 8, path, root))).toBe('ok');
    expect(reasonOf(verifyInclusion(leaf, -1, 8, path, root))).toBe('malformed-number');
    expect(reasonOf(verifyInclusion(leaf, 0.5, 8, path, root))).toBe('malformed-number');
    expect(reasonOf(verifyInclusion(leaf, 0, 2 ** 53, path, root))).toBe('malformed-number');
    expect(reasonOf(verifyInclusion(leaf, 8, 8, path, root))).toBe('index-out-of-range');
    expect(reasonOf(verifyInclusion(leaf, 0, 0, [], root))).toBe('index-out-of-range');
    expect(reasonOf(verifyInclusion(new Uint8Array(0), 0, 8, path, root))).toBe('malformed-hash');
    expect(reasonOf(verifyInclusion(leaf, 0, 8, path, new Uint8Array(33)))).toBe('malformed-hash');
    expect(reasonOf(verifyInclusion(leaf, 0, 8, [...path, root], root))).toBe('proof-too-long');
    expect(reasonOf(verifyInclusion(leaf, 0, 8, path.slice(1), root))).toBe('proof-too-short');
    expect(reasonOf(verifyInclusion(leaf, 1, 8, path, root))).toBe('root-mismatch');
    // A hostile proof of a million entries is refused before any of them is looked at.
    const huge = new Array<Uint8Array>(1_000_000).fill(root);
    expect(reasonOf(verifyInclusion(leaf, 0, 8, huge, root))).toBe('proof-too-long');
    expect(reasonOf(verifyConsistency(6, 8, root, root, huge))).toBe('proof-too-long');
  });

  it('binds the size only through the shape of the path, as RFC 9162 does', () => {
    // Leaf 0 climbs three left-child steps in every tree of 5 to 8 leaves, so the proof for
    // size 8 checks out against the size-8 root at those sizes too. A checkpoint signs size
    // and root together; against the root of the size claimed, the proof fails.
    const path = inclusionProof(leafHashes, 0, 8);
    const root8 = bytes(ROOTS[8] as string);
    for (const size of [5, 6, 7]) {
      expect(verifyInclusion(leafHashes[0] as Uint8Array, 0, size, path, root8).ok).toBe(true);
      const rootOfSize = bytes(ROOTS[size] as string);
      expect(
        reasonOf(verifyInclusion(leafHashes[0] as Uint8Array, 0, size, path, rootOfSize)),
      ).toBe('root-mismatch');
    }
  });

  it('refuses to produce a proof for a leaf or size that does not exist', () => {
    expect(() => inclusionProof(leafHashes, 8, 8)).toThrow(RangeError);
    expect(() => inclusionProof(leafHashes, 0, 9)).toThrow(RangeError);
    expect(() => inclusionProof(leafHashes, 0, 0)).toThrow(RangeError);
    expect(() => inclusionProof(leafHashes, -1, 8)).toThrow(RangeError);
  });
});

describe('consistency proofs: the reference vectors', () => {
  for (const { from, to, proof } of CONSISTENCY) {
    const rootFrom = bytes(ROOTS[from] as string);
    const rootTo = bytes(ROOTS[to] as string);
    const path = proof.map(bytes);

    it(`produces and verifies the proof from ${from} to ${to}`, () => {
      expect(consistencyProof(leafHashes, from, to).map(hex)).toEqual(proof);
      expect(verifyConsistency(from, to, rootFrom, rootTo, path)).toEqual({ ok: true });
    });

    // Between equal sizes the proof is empty and there is nothing to corrupt.
    if (from === to) continue;

    it(`rejects every corruption of the proof from ${from} to ${to}`, () => {
      const wrong = new Uint8Array(Buffer.from('WrongRoot'));
      const corrupt: [string, ProofCheck][] = [
        ['from - 1', verifyConsistency(from - 1, to, rootFrom, rootTo, path)],
        ['from + 1', verifyConsistency(from + 1, to, rootFrom, rootTo, path)],
        ['from ^ 2', verifyConsistency(from ^ 2, to, rootFrom, rootTo, path)],
        ['to * 2', verifyConsistency(from, to * 2, rootFrom, rootTo, path)],
        ['to / 2', verifyConsistency(from, Math.floor(to / 2), rootFrom, rootTo, path)],
        ['wrong first root', verifyConsistency(from, to, wrong, rootTo, path)],
        ['wrong second root', verifyConsistency(from, to, rootFrom, wrong, path)],
        ['swapped roots', verifyConsistency(from, to, rootTo, rootFrom, path)],
        ['empty proof', verifyConsistency(from, to, rootFrom, rootTo, [])],
        [
          'trailing garbage',
          verifyConsistency(from, to, rootFrom, rootTo, [...path, new Uint8Array()]),
        ],
        ['trailing root1', verifyConsistency(from, to, rootFrom, rootTo, [...path, rootFrom])],
        ['trailing root2', verifyConsistency(from, to, rootFrom, rootTo, [...path, rootTo])],
        [
          'leading garbage',
          verifyConsistency(from, to, rootFrom, rootTo, [new Uint8Array(), ...path]),
        ],
        ['leading root1', verifyConsistency(from, to, rootFrom, rootTo, [rootFrom, ...path])],
        ['leading root2', verifyConsistency(from, to, rootFrom, rootTo, [rootTo, ...path])],
        [
          'leading proof[0]',
          verifyConsistency(from, to, rootFrom, rootTo, [path[0] as Uint8Array, ...path]),
        ],
        ['truncated', verifyConsistency(from, to, rootFrom, rootTo, path.slice(0, -1))],
      ];
      for (let i = 0; i < path.length; i += 1) {
        const flipped = path.map((node, j) => (j === i ? flipFirstByte(node, 16) : node));
        corrupt.push([`proof[${i}] bit 4`, verifyConsistency(from, to, rootFrom, rootTo, flipped)]);
      }
      for (const [label, check] of corrupt) expect([label, check.ok]).toEqual([label, false]);
    });
  }

  it('handles the edge cases of the reference test data as the reference does', () => {
    // testdata/consistency/additional at commit 417fb0c: every one of these must fail.
    const empty = bytes(ROOTS[0] as string);
    const one = bytes(ROOTS[1] as string);
    expect(reasonOf(verifyConsistency(0, 1, empty, empty, [empty]))).toBe('empty-tree');
    expect(reasonOf(verifyConsistency(0, 1, empty, one, []))).toBe('empty-tree');
    expect(reasonOf(verifyConsistency(0, 0, empty, empty, []))).toBe('empty-tree');
    expect(reasonOf(verifyConsistency(1, 0, one, empty, []))).toBe('sizes-out-of-order');
    expect(reasonOf(verifyConsistency(2, 1, one, one, []))).toBe('sizes-out-of-order');
    expect(reasonOf(verifyConsistency(1, 1, one, empty, []))).toBe('root-mismatch');
    expect(reasonOf(verifyConsistency(1, 1, one, one, [one]))).toBe('proof-not-empty');
    expect(reasonOf(verifyConsistency(1, 2, one, one, []))).toBe('empty-proof');
    // Stricter than the reference, which compares roots of any length when sizes are equal.
    expect(reasonOf(verifyConsistency(1, 1, new Uint8Array(9), one, []))).toBe('malformed-hash');
  });

  it('names the reason for each kind of failure', () => {
    const root6 = bytes(ROOTS[6] as string);
    const root8 = bytes(ROOTS[8] as string);
    const path = consistencyProof(leafHashes, 6, 8);
    expect(reasonOf(verifyConsistency(6, 8, root6, root8, path))).toBe('ok');
    expect(reasonOf(verifyConsistency(6, Number.NaN, root6, root8, path))).toBe('malformed-number');
    expect(reasonOf(verifyConsistency(6, 8, root6, root8, [...path, root8]))).toBe(
      'proof-too-long',
    );
    expect(reasonOf(verifyConsistency(6, 8, root6, root8, path.slice(0, 2)))).toBe(
      'proof-too-short',
    );
    expect(reasonOf(verifyConsistency(6, 8, root8, root8, path))).toBe('from-root-mismatch');
    expect(reasonOf(verifyConsistency(6, 8, root6, root6, path))).toBe('to-root-mismatch');
  });

  it('refuses to produce a proof between sizes that do not exist', () => {
    expect(() => consistencyProof(leafHashes, 0, 8)).toThrow(RangeError);
    expect(() => consistencyProof(leafHashes, 5, 4)).toThrow(RangeError);
    expect(() => consistencyProof(leafHashes, 1, 9)).toThrow(RangeError);
  });
});
