import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../src/tlog/base64.js';
import type { NoteSigner, NoteVerifier } from '../../src/tlog/note-key.js';
import {
  ed25519PublicKeyBytes,
  ed25519Signer,
  ed25519Verifier,
  parseVerifierKey,
} from '../../src/tlog/note-key.js';
import type { OpenNoteResult } from '../../src/tlog/signed-note.js';
import { openNote, parseNote, signNote } from '../../src/tlog/signed-note.js';

// The example of the signed-note spec: C2SP/C2SP, signed-note.md ("Verifier keys", Example,
// and the note at the top), at commit 5ba5ee830903e91240fc6f9f3a7a9293d49e69c9.
const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const SPEC_NOTE =
  'This is an example message.\n\n' +
  '— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
const QUASIMODO_TEXT =
  'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n';
const QUASIMODO_NOTE =
  `${QUASIMODO_TEXT}\n` +
  '— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n';

// The keys and notes of the reference implementation's tests: golang/mod,
// sumdb/note/note_test.go (TestSign, TestOpen), at commit
// 02c991387e35f9e4c0a9b7ce137717055f8d716d.
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT =
  'If you think cryptography is the answer to your problem,\n' +
  "then you don't know what your problem is.\n";
const PETER_SIG =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

function verifierOf(vkey: string): NoteVerifier {
  const parsed = parseVerifierKey(vkey);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.verifier;
}

// The Go skey is PRIVATE+KEY+<name>+<id>+base64(0x01 || 32-byte seed); PKCS#8 wraps the seed.
function signerOfGoSkey(skey: string): NoteSigner {
  const [, , name, , ...key] = skey.split('+');
  const typed = decodeBase64(key.join('+')) as Uint8Array;
  const pkcs8 = Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    typed.subarray(1),
  ]);
  return ed25519Signer(
    name as string,
    createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }),
  );
}

function reasonOf(result: OpenNoteResult): string {
  return result.ok ? 'ok' : result.reason;
}

const peter = verifierOf(PETER_VKEY);
const enoch = verifierOf(ENOCH_VKEY);

describe('signed notes: published vectors', () => {
  it('verifies the example note of the spec with its key', () => {
    const opened = openNote(SPEC_NOTE, [verifierOf(SPEC_VKEY)]);
    expect(opened).toEqual({
      ok: true,
      text: 'This is an example message.\n',
      verified: [{ name: 'example.com/foo', keyId: 0x530d903a }],
      unknown: [],
    });
  });

  it('separates text and signatures at the last blank line', () => {
    const parsed = parseNote(QUASIMODO_NOTE);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.note.text).toBe(QUASIMODO_TEXT);
    expect(parsed.note.signatures.map((s) => [s.name, s.signature.length])).toEqual([
      ['quasimodo.example/salvatore', 64],
    ]);
    // The spec gives no key for it: the note is well formed but not verified.
    expect(reasonOf(openNote(QUASIMODO_NOTE, [peter]))).toBe('no-verified-signature');
  });

  it('reproduces the reference signature byte for byte (Ed25519 is deterministic)', () => {
    const signer = signerOfGoSkey(PETER_SKEY);
    expect(signer.keyId).toBe(0xc74f20a3);
    expect(signNote(TEXT, [signer])).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it('reports verified and unknown signatures as the reference TestOpen does', () => {
    const note = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    const one = openNote(note, [peter]);
    if (!one.ok) throw new Error(one.message);
    expect(one.text).toBe(TEXT);
    expect(one.verified).toEqual([{ name: 'PeterNeumann', keyId: 0xc74f20a3 }]);
    expect(one.unknown.map((s) => [s.name, s.keyId])).toEqual([['EnochRoot', 0xaf0cfe78]]);

    const both = openNote(note, [peter, enoch]);
    expect(both.ok && both.verified.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    expect(both.ok && both.unknown).toEqual([]);

    expect(reasonOf(openNote(note, []))).toBe('no-verified-signature');
  });

  it('refuses an ambiguous verifier only when a signature needs it', () => {
    expect(reasonOf(openNote(`${TEXT}\n${ENOCH_SIG}`, [enoch, peter, enoch]))).toBe(
      'ambiguous-verifier',
    );
    expect(reasonOf(openNote(`${TEXT}\n${PETER_SIG}`, [enoch, peter, enoch]))).toBe('ok');
  });

  it('refuses the malformed notes of the reference TestOpen', () => {
    const cases: [string | Uint8Array, string][] = [
      [TEXT, 'no-signatures'],
      [`${TEXT}\n`, 'no-signatures'],
      [`${TEXT}\n${PETER_SIG.slice(0, -1)}`, 'malformed-signature-line'],
      [`\x01${TEXT}\n${PETER_SIG}`, 'control-character'],
      [Buffer.concat([Buffer.of(0xff), Buffer.from(`${TEXT}\n${PETER_SIG}`)]), 'invalid-utf8'],
      [`${TEXT}\n— Bad Name ${PETER_SIG.split(' ')[2]}`, 'malformed-signature-line'],
      [`${TEXT}\n${PETER_SIG}Unexpected line.\n`, 'malformed-signature-line'],
    ];
    for (const [note, reason] of cases) {
      expect([note, reasonOf(openNote(note, [peter]))]).toEqual([note, reason]);
    }
  });

  it('caps the number of signature lines but accepts the 16 the spec requires', () => {
    expect(reasonOf(openNote(`${TEXT}\n${PETER_SIG.repeat(101)}`, [peter]))).toBe(
      'too-many-signatures',
    );
    expect(reasonOf(openNote(`${TEXT}\n${PETER_SIG.repeat(101)}`, []))).toBe('too-many-signatures');
    expect(reasonOf(openNote(`${TEXT}\n${ENOCH_SIG.repeat(15)}${PETER_SIG}`, [peter]))).toBe('ok');
  });
});

describe('signed notes: round trip and tampering', () => {
  const log = generateKeyPairSync('ed25519');
  const witness = generateKeyPairSync('ed25519');
  const logSigner = ed25519Signer('example.com/log', log.privateKey);
  const witnessSigner = ed25519Signer('witness.example', witness.privateKey);
  const logVerifier = ed25519Verifier('example.com/log', ed25519PublicKeyBytes(log.publicKey));
  const witnessVerifier = ed25519Verifier(
    'witness.example',
    ed25519PublicKeyBytes(witness.publicKey),
  );
  const text = 'example.com/log\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n';
  const note = signNote(text, [logSigner, witnessSigner]);
  const [logLine, witnessLine] = note.slice(text.length + 1).split(/(?<=\n)/) as [string, string];

  it('opens what it signs, in signer order', () => {
    const opened = openNote(note, [witnessVerifier, logVerifier]);
    if (!opened.ok) throw new Error(opened.message);
    expect(opened.text).toBe(text);
    expect(opened.verified.map((s) => s.name)).toEqual(['example.com/log', 'witness.example']);
    expect(opened.verified.map((s) => s.keyId)).toEqual([logSigner.keyId, witnessSigner.keyId]);
  });

  it('opens a note given as bytes, keeping a leading byte order mark in the text', () => {
    const bomText = `\ufeff${text}`;
    const bytes = new Uint8Array(Buffer.from(signNote(bomText, [logSigner]), 'utf8'));
    const opened = openNote(bytes, [logVerifier]);
    expect(opened.ok && opened.text).toBe(bomText);
  });

  it('rejects a changed byte of the text', () => {
    const changed = note.replace('\n42\n', '\n43\n');
    expect(reasonOf(openNote(changed, [logVerifier]))).toBe('invalid-signature');
    // A single known key that fails rejects the note even if another verifies.
    expect(reasonOf(openNote(changed, [logVerifier, witnessVerifier]))).toBe('invalid-signature');
  });

  it('rejects a changed signature', () => {
    const [prefix, name, b64] = logLine.trimEnd().split(' ') as [string, string, string];
    const payload = decodeBase64(b64) as Uint8Array;
    payload[10] = (payload[10] as number) ^ 0x40;
    const changed = `${text}\n${prefix} ${name} ${encodeBase64(payload)}\n`;
    expect(reasonOf(openNote(changed, [logVerifier]))).toBe('invalid-signature');
    // Four more base64 characters in the middle, as the reference test does.
    const longer = `${text}\n${logLine.slice(0, 60)}ABCD${logLine.slice(60)}`;
    expect(reasonOf(openNote(longer, [logVerifier]))).toBe('invalid-signature');
  });

  it('ignores a signature by a key that is not the one configured', () => {
    const other = generateKeyPairSync('ed25519');
    const impostor = ed25519Verifier('example.com/log', ed25519PublicKeyBytes(other.publicKey));
    // Same name, different key ID: an unknown key, so nothing verifies.
    expect(reasonOf(openNote(`${text}\n${logLine}`, [impostor]))).toBe('no-verified-signature');
    // Same name and ID but another key (an ID collision): the signature must verify, and
    // does not.
    const colliding: NoteVerifier = {
      name: 'example.com/log',
      keyId: logSigner.keyId,
      verify: impostor.verify,
    };
    expect(reasonOf(openNote(`${text}\n${logLine}`, [colliding]))).toBe('invalid-signature');
  });

  it('ignores unknown key names and needs one known signature', () => {
    const opened = openNote(note, [witnessVerifier]);
    expect(opened.ok && opened.unknown.map((s) => s.name)).toEqual(['example.com/log']);
    expect(reasonOf(openNote(`${text}\n${logLine}`, [witnessVerifier]))).toBe(
      'no-verified-signature',
    );
  });

  it('counts a repeated signature line once and still verifies every copy', () => {
    const repeated = `${text}\n${logLine}${logLine}${witnessLine}${witnessLine}${logLine}`;
    const opened = openNote(repeated, [logVerifier]);
    if (!opened.ok) throw new Error(opened.message);
    expect(opened.verified).toEqual([{ name: 'example.com/log', keyId: logSigner.keyId }]);
    expect(opened.unknown.map((s) => s.name)).toEqual(['witness.example']);
    // A second, different line for a known key is verified too (the reference skips it).
    const payload = decodeBase64(logLine.trimEnd().split(' ')[2] as string) as Uint8Array;
    payload[40] = (payload[40] as number) ^ 1;
    const forged = `— example.com/log ${encodeBase64(payload)}\n`;
    expect(reasonOf(openNote(`${text}\n${logLine}${forged}`, [logVerifier]))).toBe(
      'invalid-signature',
    );
  });

  it('treats a verifier that throws as a failed verification', () => {
    const throwing: NoteVerifier = {
      name: 'example.com/log',
      keyId: logSigner.keyId,
      verify: () => {
        throw new Error('boom');
      },
    };
    expect(reasonOf(openNote(note, [throwing]))).toBe('invalid-signature');
  });

  it('refuses hostile framing without throwing', () => {
    const sig = logLine.slice('— example.com/log '.length, -1);
    const cases: [string, string][] = [
      [`${text}\n— example.com/log  ${sig}\n`, 'malformed-signature-line'],
      [`${text}\n— example.com/log ${sig} \n`, 'malformed-signature-line'],
      [`${text}\n—example.com/log ${sig}\n`, 'malformed-signature-line'],
      [`${text}\n- example.com/log ${sig}\n`, 'malformed-signature-line'],
      [`${text}\n— example.com/log\n`, 'malformed-signature-line'],
      [`${text}\n— example.com/log AAAA\n`, 'malformed-signature-line'],
      [`${text}\n— example.com/log ${sig.slice(0, -1)}\n`, 'malformed-signature-line'],
      [`${text}\n${logLine}\n`, 'no-signatures'],
      [`${text}\n${logLine.replace('\n', '\r\n')}`, 'control-character'],
      [`${text}\n${logLine}`.replace('42', '4\ud8002'), 'invalid-utf8'],
      [`${text.slice(0, -1)}\n${logLine}`, 'no-signatures'],
    ];
    for (const [hostile, reason] of cases) {
      expect([hostile, reasonOf(openNote(hostile, [logVerifier]))]).toEqual([hostile, reason]);
    }
  });

  it('refuses notes over the size limit before reading them', () => {
    const big = `${'x'.repeat(2_000_000)}\n\n${logLine}`;
    expect(reasonOf(openNote(big, [logVerifier]))).toBe('too-large');
    // Multi-byte characters count as their UTF-8 bytes.
    const wide = `${'é'.repeat(600_000)}\n\n${logLine}`;
    expect(reasonOf(openNote(wide, [logVerifier]))).toBe('too-large');
    const limits = { maxBytes: note.length - 1, maxSignatures: 100 };
    expect(reasonOf(openNote(note, [logVerifier], limits))).toBe('too-large');
  });

  it('refuses to sign what could not be read back', () => {
    expect(() => signNote('abc', [logSigner])).toThrow(RangeError);
    expect(() => signNote('a\rb\n', [logSigner])).toThrow(RangeError);
    expect(() => signNote('\ud800\n', [logSigner])).toThrow(RangeError);
    expect(() => signNote(text, [])).toThrow(RangeError);
    expect(() => signNote(text, [logSigner, logSigner])).toThrow(RangeError);
    const badName: NoteSigner = { name: 'bad name', keyId: 1, sign: () => Uint8Array.of(1) };
    expect(() => signNote(text, [badName])).toThrow(RangeError);
    const empty: NoteSigner = { name: 'ok', keyId: 1, sign: () => new Uint8Array(0) };
    expect(() => signNote(text, [empty])).toThrow(RangeError);
  });

  it('round-trips text that itself holds blank lines', () => {
    for (const body of ['\n', 'a\n\n', 'a\n\nb\n', '— not a signature\n\n']) {
      const opened = openNote(signNote(body, [logSigner]), [logVerifier]);
      expect([body, opened.ok && opened.text]).toEqual([body, body]);
    }
  });
});
