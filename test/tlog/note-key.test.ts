import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ed25519KeyId,
  ed25519PublicKeyBytes,
  ed25519Signer,
  ed25519Verifier,
  formatVerifierKey,
  isValidKeyName,
  parseVerifierKey,
} from '../../src/tlog/note-key.js';

// The example key of the signed-note spec: C2SP/C2SP, signed-note.md ("Verifier keys",
// Example), at commit 5ba5ee830903e91240fc6f9f3a7a9293d49e69c9.
const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
// The key of the reference implementation's tests: golang/mod, sumdb/note/note_test.go
// (TestNewVerifier), at commit 02c991387e35f9e4c0a9b7ce137717055f8d716d.
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';

function reasonOf(text: string): string {
  const parsed = parseVerifierKey(text);
  return parsed.ok ? 'ok' : parsed.reason;
}

describe('verifier keys', () => {
  it('reads the spec and reference keys and writes them back unchanged', () => {
    for (const [vkey, name, id] of [
      [SPEC_VKEY, 'example.com/foo', 0x530d903a],
      [PETER_VKEY, 'PeterNeumann', 0xc74f20a3],
    ] as const) {
      const parsed = parseVerifierKey(vkey);
      if (!parsed.ok) throw new Error(parsed.message);
      expect(parsed.name).toBe(name);
      expect(parsed.keyId).toBe(id);
      expect(parsed.verifier.keyId).toBe(id);
      expect(ed25519KeyId(name, parsed.publicKey)).toBe(id);
      expect(formatVerifierKey(name, parsed.publicKey)).toBe(vkey);
    }
  });

  it('refuses every truncation and every single-character change of a key, without throwing', () => {
    // The manglings of the reference TestNewVerifier.
    const failures = new Set<string>();
    for (let i = 0; i <= PETER_VKEY.length; i += 1) {
      for (let j = i + 1; j <= PETER_VKEY.length; j += 1) {
        if (i === 0 && j === PETER_VKEY.length) continue;
        const reason = reasonOf(PETER_VKEY.slice(i, j));
        expect([PETER_VKEY.slice(i, j), reason]).not.toEqual([PETER_VKEY.slice(i, j), 'ok']);
        failures.add(reason);
      }
    }
    for (let i = 0; i < PETER_VKEY.length; i += 1) {
      const changed =
        PETER_VKEY.slice(0, i) +
        String.fromCharCode(PETER_VKEY.charCodeAt(i) + 1) +
        PETER_VKEY.slice(i + 1);
      expect([changed, reasonOf(changed)]).not.toEqual([changed, 'ok']);
    }
    expect(failures).toContain('key-id-mismatch');
    expect(failures).toContain('malformed');
  });

  it('names the reason a key is refused', () => {
    // The last two cases of the reference TestNewVerifier, their key IDs adjusted to match.
    // The first is refused sooner here: its "Y=" leaves bits set, which Go's decoder allows.
    expect(
      reasonOf('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='),
    ).toBe('malformed-key');
    const short = Buffer.concat([Buffer.of(1), Buffer.alloc(31, 7)]).toString('base64');
    expect(reasonOf(`PeterNeumann+c74f20a3+${short}`)).toBe('wrong-key-length');
    expect(reasonOf('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toBe(
      'unsupported-signature-type',
    );
    expect(reasonOf('PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toBe(
      'malformed-key-id',
    );
    expect(reasonOf('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toBe(
      'key-id-mismatch',
    );
    expect(reasonOf('Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toBe(
      'invalid-name',
    );
    expect(reasonOf('+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toBe('invalid-name');
    expect(reasonOf('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW ')).toBe(
      'malformed-key',
    );
    expect(reasonOf('PeterNeumann+c74f20a3+')).toBe('malformed-key');
    expect(reasonOf('PeterNeumann')).toBe('malformed');
    expect(reasonOf(`${'a'.repeat(5000)}+00000000+AA==`)).toBe('too-long');
  });

  it('checks key names as the spec defines them', () => {
    expect(isValidKeyName('example.com/log42')).toBe(true);
    expect(isValidKeyName('пример.рф/журнал')).toBe(true);
    for (const name of ['', 'a b', 'a+b', 'a\tb', 'a\u00a0b', 'a\u0085b', 'a\u3000b', '\ud800']) {
      expect([name, isValidKeyName(name)]).toEqual([name, false]);
    }
  });

  it('signs and verifies with an injected Ed25519 key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signer = ed25519Signer('example.com/log', privateKey);
    const raw = ed25519PublicKeyBytes(publicKey);
    const verifier = ed25519Verifier('example.com/log', raw);
    expect(signer.keyId).toBe(verifier.keyId);
    const message = new Uint8Array(Buffer.from('hi'));
    const signature = signer.sign(message);
    expect(verifier.verify(message, signature)).toBe(true);
    const corrupt = Uint8Array.from(signature);
    corrupt[0] = (corrupt[0] as number) ^ 1;
    expect(verifier.verify(message, corrupt)).toBe(false);
    expect(verifier.verify(Uint8Array.of(0x68, 0x6a), signature)).toBe(false);
    expect(verifier.verify(message, signature.subarray(1))).toBe(false);
    const parsed = parseVerifierKey(formatVerifierKey('example.com/log', raw));
    expect(parsed.ok && parsed.verifier.verify(message, signature)).toBe(true);
  });

  it('refuses keys and names that cannot make a note key', () => {
    const { privateKey } = generateKeyPairSync('x25519');
    expect(() => ed25519Signer('example.com/log', privateKey)).toThrow(RangeError);
    const ed = generateKeyPairSync('ed25519');
    expect(() => ed25519Signer('example.com/log', ed.publicKey)).toThrow(RangeError);
    expect(() => ed25519Signer('bad name', ed.privateKey)).toThrow(RangeError);
    expect(() => ed25519Verifier('example.com/log', new Uint8Array(31))).toThrow(RangeError);
    expect(() => formatVerifierKey('a+b', new Uint8Array(32))).toThrow(RangeError);
  });
});
