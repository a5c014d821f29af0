import { decodeBase64, encodeBase64 } from './base64.js';
import { HASH_SIZE } from './merkle.js';
import { hasControlCharacter, hasLoneSurrogate } from './note-text.js';

/**
 * The body of a transparency log checkpoint (c2sp.org/tlog-checkpoint), the text a log signs
 * as a signed note:
 *
 *     <origin>\n<tree size in decimal>\n<base64 root hash>\n[<extension line>\n]...
 *
 * Invariants:
 * - Every line is non-empty and ends in a newline; there are at least three. The origin is
 *   any non-empty text (clients must not assume it is a URL); the size has no leading zero
 *   unless it is 0; the root is the canonical base64 of 32 bytes; extension lines are opaque.
 * - Sizes are safe integers: a larger size is refused as 'size-out-of-range' rather than
 *   rounded.
 * - `parseCheckpoint` never throws and accepts exactly what `formatCheckpoint` writes;
 *   `formatCheckpoint` throws a RangeError on a checkpoint that could not be read back.
 * - Parsing does not verify anything: read the body from `openNote`, which does.
 */

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Opaque lines after the root; their use is discouraged, as monitors cannot audit them. */
  readonly extensions: readonly string[];
}

export type CheckpointFailure =
  | 'too-large'
  | 'invalid-text'
  | 'missing-final-newline'
  | 'too-few-lines'
  | 'empty-line'
  | 'malformed-size'
  | 'size-out-of-range'
  | 'malformed-root-hash';

export type ParseCheckpointResult =
  { ok: true; checkpoint: Checkpoint } | { ok: false; reason: CheckpointFailure; message: string };

// A checkpoint is three short lines and, rarely, a few more; anything near this is not one.
export const MAX_CHECKPOINT_LENGTH = 65_536;

const SIZE = /^(?:0|[1-9][0-9]*)$/;

/**
 * The checkpoint's note text.
 *
 * @throws RangeError if a line would be empty or hold a control character, the size is not a
 *   safe integer ≥ 0, or the root is not 32 bytes.
 */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions } = checkpoint;
  for (const line of [origin, ...extensions]) {
    if (line.length === 0 || hasControlCharacter(line) || line.includes('\n')) {
      throw new RangeError(`checkpoint line ${JSON.stringify(line)} is empty or not one line`);
    }
    if (hasLoneSurrogate(line)) throw new RangeError('checkpoint lines must be Unicode');
  }
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`tree size ${size} is not a safe integer ≥ 0`);
  }
  if (rootHash.length !== HASH_SIZE) throw new RangeError('the root hash must be 32 bytes');
  const lines = [origin, String(size), encodeBase64(rootHash), ...extensions];
  return lines.map((line) => `${line}\n`).join('');
}

/** Reads a checkpoint body; never throws. */
export function parseCheckpoint(
  text: string,
  maxLength: number = MAX_CHECKPOINT_LENGTH,
): ParseCheckpointResult {
  if (text.length > maxLength) {
    return refuse('too-large', `a checkpoint is at most ${maxLength} characters`);
  }
  if (hasControlCharacter(text) || hasLoneSurrogate(text)) {
    return refuse('invalid-text', 'a checkpoint is Unicode text without control characters');
  }
  if (!text.endsWith('\n')) return refuse('missing-final-newline', 'every line ends in \\n');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) {
    return refuse('too-few-lines', 'a checkpoint has an origin, a size and a root hash');
  }
  const empty = lines.findIndex((line) => line.length === 0);
  if (empty >= 0) return refuse('empty-line', `line ${empty + 1} is empty`);
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string];
  if (!SIZE.test(sizeText)) {
    return refuse('malformed-size', 'the size is decimal digits without a leading zero');
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) {
    return refuse('size-out-of-range', `tree size ${sizeText} is beyond 2^53 − 1`);
  }
  const rootHash = decodeBase64(rootText);
  if (rootHash === undefined || rootHash.length !== HASH_SIZE) {
    return refuse('malformed-root-hash', 'the root hash is not the base64 of 32 bytes');
  }
  return { ok: true, checkpoint: { origin, size, rootHash, extensions } };
}

function refuse(reason: CheckpointFailure, message: string): ParseCheckpointResult {
  return { ok: false, reason, message };
}
