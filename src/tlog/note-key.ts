import type { KeyObject } from 'node:crypto';
import { createPublicKey, hash, sign, verify } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64.js';
import { hasLoneSurrogate } from './note-text.js';

/**
 * The keys of C2SP signed notes (c2sp.org/signed-note): a key is known by its name and a
 * 32-bit key ID, and a verifier key ("vkey") is written `<name>+<hex key ID>+<base64(type ||
 * public key)>`. Only Ed25519 (signature type 0x01) is implemented; its key ID is the first four
 * bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || 32-byte public key).
 *
 * Invariants:
 * - A key name is non-empty, valid Unicode, and holds no Unicode space and no '+'.
 * - `parseVerifierKey` never throws; it accepts exactly what `formatVerifierKey` writes (the
 *   key ID in lowercase hex, canonical base64) and only when the ID matches the key.
 * - Signers and verifiers are built from keys the caller supplies; nothing here generates
 *   keys or reads them from anywhere.
 */

/** The signature type byte of Ed25519 note signatures. */
export const ED25519_SIGNATURE_TYPE = 0x01;

const ED25519_PUBLIC_KEY_SIZE = 32;
const ED25519_SIGNATURE_SIZE = 64;
// A vkey of any of the defined types is well under this; longer text is refused unread.
const MAX_VERIFIER_KEY_LENGTH = 4096;
const KEY_ID_HEX = /^[0-9a-f]{8}$/;
// Go's unicode.IsSpace, which the reference implementation uses, also counts U+0085, which
// JavaScript's \s does not.
const SPACE_OR_PLUS = /[\s\u0085+]/u;

/** Checks a note signature made by the key with this name and ID. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  /** Whether `signature` (without the key ID prefix) signs `message`. Must not throw. */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** Signs notes as the key with this name and ID. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  /** The signature of `message`, without the key ID prefix. */
  sign(message: Uint8Array): Uint8Array;
}

/** Why a verifier key was refused. */
export type VerifierKeyFailure =
  | 'too-long'
  /** Not three parts separated by '+'. */
  | 'malformed'
  | 'invalid-name'
  /** The key ID is not eight lowercase hex digits. */
  | 'malformed-key-id'
  /** The key part is not canonical base64, or is empty. */
  | 'malformed-key'
  | 'unsupported-signature-type'
  | 'wrong-key-length'
  /** The key ID is not the one the name and key give. */
  | 'key-id-mismatch'
  /** The 32 bytes are not an Ed25519 public key the platform accepts. */
  | 'invalid-public-key';

export type ParsedVerifierKey =
  | { ok: true; name: string; keyId: number; publicKey: Uint8Array; verifier: NoteVerifier }
  | { ok: false; reason: VerifierKeyFailure; message: string };

/** Whether `name` may name a note key. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !SPACE_OR_PLUS.test(name) && !hasLoneSurrogate(name);
}

/**
 * The key ID of the Ed25519 key `publicKey` under `name`.
 *
 * @throws RangeError if the name is invalid or the key is not 32 bytes.
 */
export function ed25519KeyId(name: string, publicKey: Uint8Array): number {
  requireName(name);
  requirePublicKey(publicKey);
  const nameBytes = Buffer.from(name, 'utf8');
  const input = new Uint8Array(nameBytes.length + 2 + ED25519_PUBLIC_KEY_SIZE);
  input.set(nameBytes, 0);
  input[nameBytes.length] = 0x0a;
  input[nameBytes.length + 1] = ED25519_SIGNATURE_TYPE;
  input.set(publicKey, nameBytes.length + 2);
  return hash('sha256', input, 'buffer').readUInt32BE(0);
}

/** The key ID as the signed-note spec writes it: eight lowercase hex digits. */
export function keyIdHex(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

/**
 * The vkey text of an Ed25519 key.
 *
 * @throws RangeError if the name is invalid or the key is not 32 bytes.
 */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  const keyId = ed25519KeyId(name, publicKey);
  return `${name}+${keyIdHex(keyId)}+${encodeBase64(typedKey(publicKey))}`;
}

/** Reads a vkey; never throws. */
export function parseVerifierKey(text: string): ParsedVerifierKey {
  if (text.length > MAX_VERIFIER_KEY_LENGTH) {
    return refuse('too-long', `a verifier key is at most ${MAX_VERIFIER_KEY_LENGTH} characters`);
  }
  // The name and the hex ID hold no '+'; the base64 key may.
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) return refuse('malformed', 'a verifier key is <name>+<key ID>+<key>');
  const name = text.slice(0, first);
  const idText = text.slice(first + 1, second);
  const keyText = text.slice(second + 1);
  if (!isValidKeyName(name)) return refuse('invalid-name', `invalid key name ${quote(name)}`);
  if (!KEY_ID_HEX.test(idText)) {
    return refuse('malformed-key-id', `key ID ${quote(idText)} is not 8 lowercase hex digits`);
  }
  const typed = decodeBase64(keyText);
  if (typed === undefined || typed.length === 0) {
    return refuse('malformed-key', 'the key is not canonical base64');
  }
  if (typed[0] !== ED25519_SIGNATURE_TYPE) {
    return refuse('unsupported-signature-type', `signature type ${typed[0]} is not Ed25519`);
  }
  const publicKey = typed.slice(1);
  if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE) {
    return refuse('wrong-key-length', `an Ed25519 key is 32 bytes, not ${publicKey.length}`);
  }
  const keyId = ed25519KeyId(name, publicKey);
  if (keyIdHex(keyId) !== idText) {
    return refuse('key-id-mismatch', `the key's ID is ${keyIdHex(keyId)}, not ${idText}`);
  }
  const verifier = tryEd25519Verifier(name, publicKey);
  if (verifier === undefined) {
    return refuse('invalid-public-key', 'the platform refuses this Ed25519 public key');
  }
  return { ok: true, name, keyId, publicKey, verifier };
}

/**
 * A verifier for the Ed25519 key `publicKey` (32 bytes) under `name`.
 *
 * @throws RangeError if the name or the key is invalid.
 */
export function ed25519Verifier(name: string, publicKey: Uint8Array): NoteVerifier {
  const verifier = tryEd25519Verifier(name, publicKey);
  if (verifier === undefined) throw new RangeError('not a usable Ed25519 public key');
  return verifier;
}

/**
 * A signer for the Ed25519 private key `privateKey` under `name`; its key ID comes from the
 * public half.
 *
 * @throws RangeError if the name is invalid or the key is not an Ed25519 private key.
 */
export function ed25519Signer(name: string, privateKey: KeyObject): NoteSigner {
  requireName(name);
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new RangeError('a note signer needs an Ed25519 private key');
  }
  const keyId = ed25519KeyId(name, ed25519PublicKeyBytes(privateKey));
  return {
    name,
    keyId,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

/** The 32-byte public key of an Ed25519 key object (private or public). */
export function ed25519PublicKeyBytes(key: KeyObject): Uint8Array {
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new RangeError('not an Ed25519 key');
  }
  return new Uint8Array(Buffer.from(jwk.x, 'base64url'));
}

function tryEd25519Verifier(name: string, publicKey: Uint8Array): NoteVerifier | undefined {
  if (!isValidKeyName(name) || publicKey.length !== ED25519_PUBLIC_KEY_SIZE) return undefined;
  let key: KeyObject;
  try {
    key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
      format: 'jwk',
    });
  } catch {
    return undefined;
  }
  return {
    name,
    keyId: ed25519KeyId(name, publicKey),
    verify: (message, signature) => {
      if (signature.length !== ED25519_SIGNATURE_SIZE) return false;
      try {
        return verify(null, message, key, signature);
      } catch {
        return false;
      }
    },
  };
}

function typedKey(publicKey: Uint8Array): Uint8Array {
  const typed = new Uint8Array(1 + publicKey.length);
  typed[0] = ED25519_SIGNATURE_TYPE;
  typed.set(publicKey, 1);
  return typed;
}

function requireName(name: string): void {
  if (!isValidKeyName(name)) throw new RangeError(`invalid key name ${quote(name)}`);
}

function requirePublicKey(publicKey: Uint8Array): void {
  if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE) {
    throw new RangeError(`an Ed25519 public key is 32 bytes, not ${publicKey.length}`);
  }
}

function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

function refuse(reason: VerifierKeyFailure, message: string): ParsedVerifierKey {
  return { ok: false, reason, message };
}
