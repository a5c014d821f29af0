import { createHash, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { EntrySignature, SigningKeyRecord } from '../store/store-records.js';
import { entrySigningText } from '../tlog/entry-signature.js';
import { ed25519Signer, formatVerifierKey } from '../tlog/note-key.js';
import { signNote } from '../tlog/signed-note.js';

/**
 * The server's Ed25519 signing keys (issue 13): made on the first start, kept in the store
 * (every server on one database signs with the same key), rotated on the operator's word. A
 * rotated key is retired, not deleted: it stays published (`GET /.well-known/paydoc/keys`)
 * so that everything it signed can still be verified. Randomness is here, at the edge.
 */

/** A new key, not yet stored. Its id is derived from the public key, so it names it. */
export function newSigningKey(at: number): SigningKeyRecord {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(publicKey);
  return {
    keyId: keyIdOf(raw),
    publicKey: raw.toString('base64'),
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    createdAt: at,
    retiredAt: null,
  };
}

/** The key that signs now: the newest one not retired. */
export function currentKey(keys: readonly SigningKeyRecord[]): SigningKeyRecord | undefined {
  return keys.filter((key) => key.retiredAt === null).at(-1);
}

/** Signs entries with one key. */
export class EntrySigner {
  readonly keyId: string;
  private readonly key: KeyObject;

  constructor(record: SigningKeyRecord) {
    this.keyId = record.keyId;
    this.key = createPrivateKey({
      key: Buffer.from(record.privateKey, 'base64'),
      format: 'der',
      type: 'pkcs8',
    });
  }

  /** Signs a C2SP note (a checkpoint) under {@link NOTE_KEY_NAME}. */
  signNote(text: string): string {
    return signNote(text, [ed25519Signer(NOTE_KEY_NAME, this.key)]);
  }

  sign(timelineId: string, sequence: number, blueId: string): EntrySignature {
    const text = entrySigningText(timelineId, sequence, blueId);
    return {
      keyId: this.keyId,
      value: sign(null, Buffer.from(text, 'utf8'), this.key).toString('base64'),
    };
  }
}

/** The name the server's keys sign checkpoints under (C2SP signed notes). */
export const NOTE_KEY_NAME = 'paydoc';

/** A key as published: never its private half. */
export function publishedKey(record: SigningKeyRecord, current: boolean) {
  return {
    keyId: record.keyId,
    algorithm: 'Ed25519',
    publicKey: record.publicKey,
    // The same key as a C2SP verifier key, for checkpoints (signed notes).
    vkey: formatVerifierKey(NOTE_KEY_NAME, Buffer.from(record.publicKey, 'base64')),
    createdAt: record.createdAt,
    retiredAt: record.retiredAt,
    current,
  };
}

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.from(String(jwk.x), 'base64url');
}

/**
 * The id of an Ed25519 key, derived from its raw 32-byte public key so that it names the key:
 * the server's signing keys and participants' registered keys are named alike.
 */
export function keyIdOf(raw: Uint8Array): string {
  return `ed25519:${createHash('sha256').update(raw).digest('base64url').slice(0, 22)}`;
}
