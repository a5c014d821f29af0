import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/tlog/checkpoint.js';
import { formatCheckpoint, parseCheckpoint } from '../../src/tlog/checkpoint.js';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../../src/tlog/merkle.js';
import {
  ed25519PublicKeyBytes,
  ed25519Signer,
  formatVerifierKey,
  parseVerifierKey,
} from '../../src/tlog/note-key.js';
import { hasControlCharacter } from '../../src/tlog/note-text.js';
import { openNote, parseNote, signNote } from '../../src/tlog/signed-note.js';

// The example of the checkpoint spec: C2SP/C2SP, tlog-checkpoint.md, at commit
// 5ba5ee830903e91240fc6f9f3a7a9293d49e69c9. No key is given for it, so only its form is
// checked.
const SPEC_CHECKPOINT =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
  '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';

const ROOT = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=';

function reasonOf(text: string): string {
  const parsed = parseCheckpoint(text);
  return parsed.ok ? 'ok' : parsed.reason;
}

describe('checkpoints', () => {
  it('reads the example of the spec', () => {
    const note = parseNote(SPEC_CHECKPOINT);
    if (!note.ok) throw new Error(note.message);
    const parsed = parseCheckpoint(note.note.text);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.checkpoint.origin).toBe('example.com/behind-the-sofa');
    expect(parsed.checkpoint.size).toBe(20852163);
    expect(Buffer.from(parsed.checkpoint.rootHash).toString('base64')).toBe(ROOT);
    expect(parsed.checkpoint.extensions).toEqual([]);
    expect(formatCheckpoint(parsed.checkpoint)).toBe(note.note.text);
    expect(note.note.signatures[0]?.signature.length).toBe(64);
  });

  it('writes what it reads, extension lines included', () => {
    const line = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
      .filter((text) => !hasControlCharacter(text) && !text.includes('\n'));
    const checkpoint = fc.record({
      origin: line,
      size: fc.oneof(fc.nat(1000), fc.maxSafeNat()),
      rootHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      extensions: fc.array(line, { maxLength: 3 }),
    });
    fc.assert(
      fc.property(checkpoint, (value: Checkpoint) => {
        const text = formatCheckpoint(value);
        const parsed = parseCheckpoint(text);
        if (!parsed.ok) throw new Error(parsed.message);
        expect(parsed.checkpoint).toEqual({ ...value, rootHash: new Uint8Array(value.rootHash) });
        expect(formatCheckpoint(parsed.checkpoint)).toBe(text);
      }),
    );
  });

  it('names the reason hostile text is refused, without throwing', () => {
    const cases: [string, string][] = [
      [`log\n5\n${ROOT}\n`, 'ok'],
      [`log\n0\n${ROOT}\n`, 'ok'],
      [`log\n5\n${ROOT}\nextension\n`, 'ok'],
      [`log\n5\n${ROOT}`, 'missing-final-newline'],
      [`log\r\n5\r\n${ROOT}\r\n`, 'invalid-text'],
      [`lo\tg\n5\n${ROOT}\n`, 'invalid-text'],
      [`lo\ud800g\n5\n${ROOT}\n`, 'invalid-text'],
      [`log\n5\n`, 'too-few-lines'],
      ['', 'missing-final-newline'],
      ['\n', 'too-few-lines'],
      [`\n5\n${ROOT}\n`, 'empty-line'],
      [`log\n5\n${ROOT}\n\nextension\n`, 'empty-line'],
      [`log\n5\n${ROOT}\n\n`, 'empty-line'],
      [`log\n05\n${ROOT}\n`, 'malformed-size'],
      [`log\n00\n${ROOT}\n`, 'malformed-size'],
      [`log\n+5\n${ROOT}\n`, 'malformed-size'],
      [`log\n-1\n${ROOT}\n`, 'malformed-size'],
      [`log\n 5\n${ROOT}\n`, 'malformed-size'],
      [`log\n5 \n${ROOT}\n`, 'malformed-size'],
      [`log\n0x10\n${ROOT}\n`, 'malformed-size'],
      [`log\n1e3\n${ROOT}\n`, 'malformed-size'],
      [`log\n9007199254740991\n${ROOT}\n`, 'ok'],
      [`log\n9007199254740992\n${ROOT}\n`, 'size-out-of-range'],
      [`log\n18446744073709551615\n${ROOT}\n`, 'size-out-of-range'],
      [`log\n${'9'.repeat(400)}\n${ROOT}\n`, 'size-out-of-range'],
      ['log\n5\nnot base64!\n', 'malformed-root-hash'],
      [`log\n5\n${ROOT} \n`, 'malformed-root-hash'],
      [`log\n5\n${ROOT.slice(0, -1)}\n`, 'malformed-root-hash'],
      [`log\n5\n${Buffer.alloc(31).toString('base64')}\n`, 'malformed-root-hash'],
      [`log\n5\n${Buffer.alloc(33).toString('base64')}\n`, 'malformed-root-hash'],
      [`log\n5\n${ROOT.replace('I=', 'J=')}\n`, 'malformed-root-hash'],
      [`log\n5\n${ROOT}\n${'x'.repeat(70_000)}\n`, 'too-large'],
    ];
    for (const [text, reason] of cases) {
      expect([text.slice(0, 80), reasonOf(text)]).toEqual([text.slice(0, 80), reason]);
    }
  });

  it('refuses to write a checkpoint that could not be read back', () => {
    const good: Checkpoint = {
      origin: 'log',
      size: 1,
      rootHash: new Uint8Array(32),
      extensions: [],
    };
    expect(() => formatCheckpoint({ ...good, origin: '' })).toThrow(RangeError);
    expect(() => formatCheckpoint({ ...good, origin: 'a\nb' })).toThrow(RangeError);
    expect(() => formatCheckpoint({ ...good, extensions: [''] })).toThrow(RangeError);
    expect(() => formatCheckpoint({ ...good, size: -1 })).toThrow(RangeError);
    expect(() => formatCheckpoint({ ...good, size: 2 ** 53 })).toThrow(RangeError);
    expect(() => formatCheckpoint({ ...good, rootHash: new Uint8Array(31) })).toThrow(RangeError);
  });
});

describe('a payment verified offline, end to end', () => {
  it('checks a signed checkpoint, an inclusion proof and a consistency proof', () => {
    // The log's side: entries, a signed checkpoint, a proof for one entry.
    const log = generateKeyPairSync('ed25519');
    const origin = 'paydoc.example/log';
    const entries = Array.from({ length: 1000 }, (_, i) => Buffer.from(`payment ${i}`));
    const hashes = entries.map((entry) => leafHash(entry));
    const older = formatCheckpoint({
      origin,
      size: 600,
      rootHash: rootHash(hashes.slice(0, 600)),
      extensions: [],
    });
    const signer = ed25519Signer(origin, log.privateKey);
    const newer = signNote(
      formatCheckpoint({ origin, size: 1000, rootHash: rootHash(hashes), extensions: [] }),
      [signer],
    );
    const proof = inclusionProof(hashes, 777, 1000);
    const vkey = formatVerifierKey(origin, ed25519PublicKeyBytes(log.publicKey));

    // The verifier's side: only the vkey, the note, the entry and the proof.
    const key = parseVerifierKey(vkey);
    if (!key.ok) throw new Error(key.message);
    const opened = openNote(newer, [key.verifier]);
    if (!opened.ok) throw new Error(opened.message);
    const checkpoint = parseCheckpoint(opened.text);
    if (!checkpoint.ok) throw new Error(checkpoint.message);
    expect(checkpoint.checkpoint.origin).toBe(origin);
    const { size, rootHash: root } = checkpoint.checkpoint;
    expect(verifyInclusion(leafHash(entries[777] as Buffer), 777, size, proof, root)).toEqual({
      ok: true,
    });
    expect(verifyInclusion(leafHash(Buffer.from('payment 778')), 777, size, proof, root).ok).toBe(
      false,
    );

    // A verifier holding the older checkpoint checks that the log only grew.
    const before = parseCheckpoint(older);
    if (!before.ok) throw new Error(before.message);
    const growth = consistencyProof(hashes, 600, 1000);
    expect(verifyConsistency(600, size, before.checkpoint.rootHash, root, growth)).toEqual({
      ok: true,
    });
  });
});
