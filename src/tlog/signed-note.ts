import { decodeBase64, encodeBase64 } from './base64.js';
import type { NoteSigner, NoteVerifier } from './note-key.js';
import { isValidKeyName, keyIdHex } from './note-key.js';
import { hasControlCharacter, hasLoneSurrogate } from './note-text.js';

/**
 * C2SP signed notes (c2sp.org/signed-note): a text ending in a newline, a blank line, then one
 * or more lines `— <key name> <base64(4-byte big-endian key ID || signature)>`. The text is
 * separated from the signatures by the last blank line, and the signed bytes are the UTF-8 of
 * the text including its final newline.
 *
 * Invariants:
 * - Reading (`parseNote`, `openNote`) never throws: hostile input comes back as a failure with
 *   a reason. Input larger than the limits is refused before it is scanned.
 * - A note is valid UTF-8 with no control character but the newline. Its text is returned
 *   exactly as signed.
 * - `openNote` follows the spec: a signature from an unknown key (name and ID not both
 *   matching a verifier) is ignored; one from a known key is always verified, and a single bad
 *   one rejects the note; at least one must verify. A key is reported once however many of
 *   its lines the note repeats, so repeated lines cannot inflate a count of signers.
 * - `signNote` writes only notes `openNote` can read back, and throws a RangeError on text or
 *   signers that could not make one (the caller's bug, not hostile input).
 */

/** How much a reader will look at. */
export interface NoteLimits {
  /** Of the whole note, in UTF-8 bytes. */
  readonly maxBytes: number;
  /** Signature lines, repeats included. The spec requires accepting at least 16. */
  readonly maxSignatures: number;
}

// Room for 100 post-quantum signatures (about 5 kB each, before base64) as well as the text.
export const DEFAULT_NOTE_LIMITS: NoteLimits = { maxBytes: 1_048_576, maxSignatures: 100 };

/** One signature line, read but not verified. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** The signature proper, without the key ID prefix. */
  readonly signature: Uint8Array;
}

export interface ParsedNote {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** A known key whose signature on the note verified. */
export interface VerifiedSignature {
  readonly name: string;
  readonly keyId: number;
}

export interface OpenedNote {
  readonly text: string;
  /** In the order of their first line in the note, each key once. */
  readonly verified: readonly VerifiedSignature[];
  /** Signatures from keys the caller does not know, identical lines once. */
  readonly unknown: readonly NoteSignature[];
}

export type NoteFailure =
  | 'too-large'
  | 'invalid-utf8'
  | 'control-character'
  /** No blank line, or nothing after the last one. */
  | 'no-signatures'
  | 'too-many-signatures'
  /** A line of the signature block is not `— <key name> <base64>` with at least 5 bytes. */
  | 'malformed-signature-line'
  /** Two of the caller's verifiers have the name and key ID of a signature. */
  | 'ambiguous-verifier'
  /** A known key's signature does not verify. */
  | 'invalid-signature'
  /** No signature is from a known key. */
  | 'no-verified-signature';

export type ParseNoteResult =
  { ok: true; note: ParsedNote } | { ok: false; reason: NoteFailure; message: string };

export type OpenNoteResult =
  ({ ok: true } & OpenedNote) | { ok: false; reason: NoteFailure; message: string };

const SIGNATURE_PREFIX = '\u2014 ';
const KEY_ID_SIZE = 4;
// ignoreBOM keeps a leading U+FEFF in the text: it is part of the signed bytes.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Splits a note into its text and signature lines without verifying anything. */
export function parseNote(
  note: string | Uint8Array,
  limits: NoteLimits = DEFAULT_NOTE_LIMITS,
): ParseNoteResult {
  const decoded = decodeNote(note, limits.maxBytes);
  if (!decoded.ok) return decoded;
  const message = decoded.text;
  if (hasControlCharacter(message)) {
    return refuse('control-character', 'a note holds no control character but the newline');
  }
  const split = message.lastIndexOf('\n\n');
  if (split < 0) return refuse('no-signatures', 'no blank line before a signature block');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block.length === 0) return refuse('no-signatures', 'nothing after the last blank line');
  if (!block.endsWith('\n')) {
    return refuse('malformed-signature-line', 'the last signature line has no final newline');
  }
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > limits.maxSignatures) {
    return refuse('too-many-signatures', `more than ${limits.maxSignatures} signature lines`);
  }
  const signatures: NoteSignature[] = [];
  for (const [i, line] of lines.entries()) {
    const signature = parseSignatureLine(line);
    if (signature === undefined) {
      return refuse('malformed-signature-line', `signature line ${i + 1} is malformed`);
    }
    signatures.push(signature);
  }
  return { ok: true, note: { text, signatures } };
}

/** Reads a note and checks its signatures against the caller's verifiers. */
export function openNote(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  limits: NoteLimits = DEFAULT_NOTE_LIMITS,
): OpenNoteResult {
  const parsed = parseNote(note, limits);
  if (!parsed.ok) return parsed;
  const { text, signatures } = parsed.note;
  const message = new Uint8Array(Buffer.from(text, 'utf8'));
  const verified: VerifiedSignature[] = [];
  const verifiedKeys = new Set<string>();
  const unknown: NoteSignature[] = [];
  const unknownLines = new Set<string>();
  for (const signature of signatures) {
    const key = keyOf(signature.name, signature.keyId);
    const candidates = verifiers.filter(
      (v) => v.name === signature.name && v.keyId === signature.keyId,
    );
    if (candidates.length === 0) {
      const line = `${key} ${encodeBase64(signature.signature)}`;
      if (!unknownLines.has(line)) {
        unknownLines.add(line);
        unknown.push(signature);
      }
      continue;
    }
    if (candidates.length > 1) {
      return refuse('ambiguous-verifier', `more than one verifier for the key ${key}`);
    }
    const verifier = candidates[0] as NoteVerifier;
    if (!safeVerify(verifier, message, signature.signature)) {
      return refuse('invalid-signature', `the signature of the key ${key} does not verify`);
    }
    if (!verifiedKeys.has(key)) {
      verifiedKeys.add(key);
      verified.push({ name: signature.name, keyId: signature.keyId });
    }
  }
  if (verified.length === 0) {
    return refuse('no-verified-signature', 'no signature is from a known key');
  }
  return { ok: true, text, verified, unknown };
}

/**
 * The note of `text` signed by every signer, in order.
 *
 * @throws RangeError if the text does not end in a newline, holds a control character other
 *   than the newline or a lone surrogate; if there is no signer, a signer's name is invalid or
 *   two signers share a name and key ID; or if a signer returns an empty signature.
 */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (!text.endsWith('\n')) throw new RangeError('note text must end with a newline');
  if (hasControlCharacter(text) || hasLoneSurrogate(text)) {
    throw new RangeError('note text must be Unicode without control characters but newlines');
  }
  if (signers.length === 0) throw new RangeError('a note needs at least one signer');
  const message = new Uint8Array(Buffer.from(text, 'utf8'));
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const signer of signers) {
    if (!isValidKeyName(signer.name)) {
      throw new RangeError(`invalid key name ${JSON.stringify(signer.name)}`);
    }
    if (!Number.isInteger(signer.keyId) || signer.keyId < 0 || signer.keyId > 0xffffffff) {
      throw new RangeError(`key ID ${signer.keyId} is not a 32-bit unsigned integer`);
    }
    const key = keyOf(signer.name, signer.keyId);
    if (seen.has(key)) throw new RangeError(`the key ${key} signs twice`);
    seen.add(key);
    const signature = signer.sign(message);
    if (signature.length === 0) throw new RangeError(`the key ${key} gave an empty signature`);
    const payload = new Uint8Array(KEY_ID_SIZE + signature.length);
    new DataView(payload.buffer).setUint32(0, signer.keyId);
    payload.set(signature, KEY_ID_SIZE);
    lines.push(`${SIGNATURE_PREFIX}${signer.name} ${encodeBase64(payload)}\n`);
  }
  return `${text}\n${lines.join('')}`;
}

type Decoded = { ok: true; text: string } | { ok: false; reason: NoteFailure; message: string };

function decodeNote(note: string | Uint8Array, maxBytes: number): Decoded {
  const tooLarge = refuse('too-large', `a note is at most ${maxBytes} bytes`);
  // A string has at least as many UTF-8 bytes as UTF-16 units, so the cheap test comes first.
  if (note.length > maxBytes) return tooLarge;
  if (typeof note === 'string') {
    if (hasLoneSurrogate(note)) return refuse('invalid-utf8', 'the note has a lone surrogate');
    if (Buffer.byteLength(note, 'utf8') > maxBytes) return tooLarge;
    return { ok: true, text: note };
  }
  try {
    return { ok: true, text: UTF8.decode(note) };
  } catch {
    return refuse('invalid-utf8', 'the note is not valid UTF-8');
  }
}

function parseSignatureLine(line: string): NoteSignature | undefined {
  if (!line.startsWith(SIGNATURE_PREFIX)) return undefined;
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) return undefined;
  const name = rest.slice(0, space);
  const payload = decodeBase64(rest.slice(space + 1));
  // At least the key ID and one byte of signature.
  if (!isValidKeyName(name) || payload === undefined || payload.length <= KEY_ID_SIZE) {
    return undefined;
  }
  const keyId = new DataView(payload.buffer, payload.byteOffset).getUint32(0);
  return { name, keyId, signature: payload.slice(KEY_ID_SIZE) };
}

function safeVerify(verifier: NoteVerifier, message: Uint8Array, signature: Uint8Array): boolean {
  // A caller's verifier that throws has not verified anything.
  try {
    return verifier.verify(message, signature) === true;
  } catch {
    return false;
  }
}

function keyOf(name: string, keyId: number): string {
  return `${name}+${keyIdHex(keyId)}`;
}

function refuse(
  reason: NoteFailure,
  message: string,
): { ok: false; reason: NoteFailure; message: string } {
  return { ok: false, reason, message };
}
