import type { Store } from '../store/store.js';
import type {
  EntryRecord,
  CosignatureRecord,
  ParticipantKeyRecord,
  TimelineRecord,
} from '../store/store-records.js';
import { decodeBase64, encodeBase64 } from '../tlog/base64.js';
import { formatCheckpoint } from '../tlog/checkpoint.js';
import { leafHash, rootHash } from '../tlog/merkle.js';
import type { NoteVerifier } from '../tlog/note-key.js';
import { ed25519Verifier, formatVerifierKey } from '../tlog/note-key.js';
import { openNote } from '../tlog/signed-note.js';
import type { JobWriter, Respond } from './accounts.js';
import type { IdempotencyClaim } from './commit-queue.js';
import type { Outcome, Reply } from './outcome.js';
import { failure } from './outcome.js';
import { keyIdOf } from './signing-keys.js';

/**
 * Each timeline as a Merkle log (issue 13; RFC 9162 hashing), and the participants who
 * co-sign its checkpoints. Leaf n is the UTF-8 text of the BlueId of the entry of sequence
 * n + 1; a checkpoint is the C2SP checkpoint body (origin `paydoc/timelines/<id>`, size, root)
 * as a signed note, signed by the server (key name `paydoc`) and then by every participant
 * who co-signed that size, each under the key name = its account id with a key it registered.
 * A participant's line is its evidence: a server that later showed another history for that
 * size would show another root, over which the participant's signature does not verify.
 *
 * Invariants:
 * - One implementation: the HTTP routes and the export bundle build checkpoints here.
 * - The server's line comes first in a note; co-signatures follow, oldest first.
 * - A stored co-signature verified, when it was stored, over the root the server computed at
 *   that size; nothing here trusts a root a client sends.
 * - The hashing is synchronous work on the main thread: callers that serve a request pass a
 *   {@link Meter} to charge it to the requester.
 */

/** Participant keys one account may register (a catalogued refusal past it). */
export const MAX_PARTICIPANT_KEYS = 20;
/**
 * Co-signatures one checkpoint may carry: with the server's line, the 100 signature lines a
 * note reader takes by default (DEFAULT_NOTE_LIMITS), so a checkpoint always opens.
 */
export const MAX_COSIGNATURES = 99;

/** Runs synchronous work (hashing) and accounts for its main-thread time. */
export type Meter = <T>(work: () => T) => T;

/** A meter that only runs the work: for callers that serve no one's turn (exports, tools). */
export const unmetered: Meter = (work) => work();

/** A participant key as it is shown: with its C2SP verifier key under the account id. */
export interface ParticipantKey {
  keyId: string;
  accountId: string;
  /** The raw 32-byte Ed25519 public key, base64. */
  publicKey: string;
  /** `<account id>+<key hash>+<key>`: what opens the notes the key co-signed. */
  vkey: string;
  createdAt: number;
}

/** A checkpoint as a note: the server's signature, then every co-signature of its size. */
export interface CheckpointNote {
  size: number;
  rootHash: Uint8Array;
  note: string;
}

/** A registered (or found) participant key. */
export interface KeyRegistered {
  /** false when the account had registered this key already. */
  created: boolean;
  key: ParticipantKey;
}

/** A stored (or found) co-signature. */
export interface Cosigned {
  /** false when the key had co-signed this size already: the first signature stays. */
  created: boolean;
  cosignature: CosignatureRecord;
}

/** What writes here: the engine (its commit queue) and the store it commits to. */
export interface LogWriter extends JobWriter {
  readonly store: Store;
}

const PAGE = 1000;
const ED25519_PUBLIC_KEY_SIZE = 32;
// A note signature's value: the 4-byte key ID, then the 64-byte Ed25519 signature.
const NOTE_SIGNATURE_SIZE = 4 + 64;

/** The log's origin line: one log per timeline. */
export function originOf(timelineId: string): string {
  return `paydoc/timelines/${timelineId}`;
}

/** The leaf hash of an entry: of its BlueId's UTF-8 text. */
export function entryLeafHash(blueId: string): Uint8Array {
  return leafHash(new TextEncoder().encode(blueId));
}

/** The checkpoint body (the signed text) of a timeline's tree of `size` leaves. */
export function checkpointBody(timelineId: string, size: number, root: Uint8Array): string {
  return formatCheckpoint({ origin: originOf(timelineId), size, rootHash: root, extensions: [] });
}

/**
 * The leaf hashes of a timeline's first `size` entries (all of them when omitted), in
 * sequence order; the hashing is run through `meter`.
 *
 * @throws RangeError if the timeline does not exist (size omitted) or holds fewer entries.
 */
export async function timelineLeaves(
  store: Store,
  timelineId: string,
  size?: number,
  meter: Meter = unmetered,
): Promise<Uint8Array[]> {
  const upTo = size ?? (await store.timeline(timelineId))?.headSequence;
  if (upTo === undefined) throw new RangeError(`no timeline ${timelineId}`);
  if (!Number.isSafeInteger(upTo) || upTo < 0)
    throw new RangeError(`tree size ${upTo} is not a safe integer ≥ 0`);
  const entries = await timelineEntries(store, timelineId, upTo);
  return meter(() => entries.map((entry) => entryLeafHash(entry.blueId)));
}

/**
 * A timeline's first `size` entries, in sequence order (read a page at a time).
 *
 * @throws RangeError if the timeline holds fewer entries.
 */
export async function timelineEntries(
  store: Store,
  timelineId: string,
  size: number,
): Promise<EntryRecord[]> {
  const entries: EntryRecord[] = [];
  // Sequences run from 1 without gaps, so the entries after n are those of leaf n on.
  while (entries.length < size) {
    const page = await store.entries(
      timelineId,
      entries.length,
      Math.min(PAGE, size - entries.length),
    );
    if (page.length === 0) break;
    entries.push(...page);
  }
  if (entries.length < size)
    throw new RangeError(`timeline ${timelineId} has ${entries.length} entries, not ${size}`);
  return entries;
}

/** The root of a timeline's tree of `size` leaves; see {@link timelineLeaves}. */
export async function checkpointRoot(
  store: Store,
  timelineId: string,
  size: number,
  meter: Meter = unmetered,
): Promise<Uint8Array> {
  const leaves = await timelineLeaves(store, timelineId, size, meter);
  return meter(() => rootHash(leaves));
}

/**
 * The checkpoint of a timeline at `size` as a C2SP signed note: `sign` (the server's
 * EntrySigner.signNote) signs the body, and every stored co-signature of that size is
 * appended as a line of its own, oldest first. A co-signature stored over another root than
 * the one recomputed now is kept all the same: it is what its signer saw, and its failing to
 * verify is what shows the history changed.
 *
 * @throws RangeError if the timeline holds fewer than `size` entries.
 */
export async function checkpointNote(
  store: Store,
  sign: (text: string) => string,
  timelineId: string,
  size: number,
  meter: Meter = unmetered,
): Promise<CheckpointNote> {
  const root = await checkpointRoot(store, timelineId, size, meter);
  const note = await signedCheckpoint(store, sign, timelineId, size, root, meter);
  return { size, rootHash: root, note };
}

/** {@link checkpointNote} of a root already computed (an export holds the whole tree). */
export async function signedCheckpoint(
  store: Store,
  sign: (text: string) => string,
  timelineId: string,
  size: number,
  root: Uint8Array,
  meter: Meter = unmetered,
): Promise<string> {
  const signed = meter(() => sign(checkpointBody(timelineId, size, root)));
  const lines = (await store.cosignatures(timelineId, size)).map((cosignature) =>
    cosignatureLine(cosignature.accountId, cosignature.signature),
  );
  return signed + lines.join('');
}

/**
 * The keys of those who co-signed a timeline's checkpoint at `size`, in the order of their
 * lines in {@link checkpointNote}: what a reader of an exported checkpoint opens it with.
 */
export async function cosignerKeys(
  store: Store,
  timelineId: string,
  size: number,
): Promise<Omit<ParticipantKey, 'createdAt'>[]> {
  const keys: Omit<ParticipantKey, 'createdAt'>[] = [];
  for (const cosignature of await store.cosignatures(timelineId, size)) {
    const key = await store.participantKey(cosignature.keyId);
    // Keys are never deleted and the store ties each co-signature to its key: always found.
    if (key === undefined) continue;
    const { createdAt: _createdAt, ...shown } = participantKeyView(key);
    keys.push(shown);
  }
  return keys;
}

/** A stored participant key with its vkey. */
export function participantKeyView(record: ParticipantKeyRecord): ParticipantKey {
  return {
    keyId: record.keyId,
    accountId: record.accountId,
    publicKey: record.publicKey,
    vkey: formatVerifierKey(record.accountId, Buffer.from(record.publicKey, 'base64')),
    createdAt: record.createdAt,
  };
}

/**
 * A raw Ed25519 public key from its base64 (canonical, 32 bytes, a key the platform accepts),
 * or `invalid_request` naming `param`.
 */
export function readPublicKey(value: unknown, param = '/publicKey'): Outcome<Uint8Array> {
  const bytes = typeof value === 'string' ? decodeBase64(value) : undefined;
  if (bytes === undefined || bytes.length !== ED25519_PUBLIC_KEY_SIZE || !usableKey(bytes))
    return failure(
      'invalid_request',
      'publicKey must be the base64 of a raw 32-byte Ed25519 public key',
      param,
    );
  return { ok: true, value: bytes };
}

/**
 * Registers an Ed25519 public key for the account to co-sign checkpoints with. The same key
 * again is the key the account has (created false); a key another account registered is
 * `participant_key_taken`; past {@link MAX_PARTICIPANT_KEYS}, `too_many_participant_keys`.
 * Registration does not prove the account holds the private key: a key it does not hold
 * co-signs nothing, as every co-signature is verified.
 */
export function registerParticipantKey(
  writer: LogWriter,
  accountId: string,
  publicKey: Uint8Array,
  respond: Respond<KeyRegistered>,
  idempotency?: IdempotencyClaim,
): Promise<Reply> {
  const keyId = keyIdOf(publicKey);
  return writer.write<KeyRegistered>({
    idempotency,
    key: `participant keys ${accountId}`,
    lane: accountId,
    respond,
    // The store is read directly (the working set does not hold these rows): two requests
    // that both find the key free conflict in the commit, and are then redone one at a time.
    work: async (set, at) => {
      const existing = await writer.store.participantKey(keyId);
      if (existing !== undefined)
        return existing.accountId === accountId
          ? { ok: true, value: { created: false, key: participantKeyView(existing) } }
          : failure(
              'participant_key_taken',
              'another account has registered this key; generate a key of your own',
              '/publicKey',
            );
      if ((await writer.store.participantKeys(accountId)).length >= MAX_PARTICIPANT_KEYS)
        return failure(
          'too_many_participant_keys',
          `an account registers at most ${MAX_PARTICIPANT_KEYS} participant keys`,
        );
      const record: ParticipantKeyRecord = {
        keyId,
        accountId,
        publicKey: encodeBase64(publicKey),
        createdAt: at,
      };
      set.rows.participantKeys.push(record);
      return { ok: true, value: { created: true, key: participantKeyView(record) } };
    },
  });
}

/** A co-signature as a client sends it, for a timeline and size the caller may read. */
export interface CosignatureRequest {
  accountId: string;
  timeline: TimelineRecord;
  size: number;
  keyId: string;
  /** The signature line's value (base64 of the 4-byte key ID and the signature). */
  signature: string;
}

/**
 * Checks a co-signature before it is stored: the key is one of the account's, the size is a
 * tree the timeline has (1 to its head), and the signature verifies over the checkpoint body
 * the server computes at that size. The hashing runs through `meter`. Gives the row to store
 * (its `createdAt` is the commit's), or the refusal.
 */
export async function checkCosignature(
  store: Store,
  request: CosignatureRequest,
  meter: Meter = unmetered,
): Promise<Outcome<Omit<CosignatureRecord, 'createdAt'>>> {
  const { accountId, timeline, size, keyId, signature } = request;
  const head = timeline.headSequence;
  if (!Number.isSafeInteger(size) || size < 1 || size > head)
    return failure(
      'invalid_request',
      head === 0
        ? `timeline ${timeline.id} is empty: it has no checkpoint to co-sign`
        : `size must be between 1 and the timeline's size (${head})`,
      'size',
    );
  const key = await store.participantKey(keyId);
  // Another account's key reads like an unknown one: a caller signs only with its own.
  if (key === undefined || key.accountId !== accountId)
    return failure(
      'unknown_participant_key',
      `${keyId} is not one of your participant keys (POST /accounts/me/participant-keys)`,
      '/keyId',
    );
  const payload = decodeBase64(signature);
  if (payload === undefined || payload.length !== NOTE_SIGNATURE_SIZE)
    return failure(
      'invalid_request',
      'signature must be the base64 of a note signature: the 4-byte key ID, then the 64-byte Ed25519 signature',
      '/signature',
    );
  const root = await checkpointRoot(store, timeline.id, size, meter);
  const body = checkpointBody(timeline.id, size, root);
  const publicKey = decodeBase64(key.publicKey) as Uint8Array;
  if (!meter(() => verifiesCheckpoint(body, accountId, publicKey, signature)))
    return failure(
      'invalid_signature',
      `the signature does not verify: sign the checkpoint body of size ${size} (root ${encodeBase64(root)}) as a signed note under the key name ${accountId}`,
      '/signature',
    );
  return {
    ok: true,
    value: {
      timelineId: timeline.id,
      size,
      keyId,
      accountId,
      rootHash: encodeBase64(root),
      signature,
    },
  };
}

/**
 * Stores a checked co-signature ({@link checkCosignature}). The same key on the same size
 * again answers the stored one (created false); past {@link MAX_COSIGNATURES} on one size,
 * `too_many_cosignatures`.
 */
export function storeCosignature(
  writer: LogWriter,
  cosignature: Omit<CosignatureRecord, 'createdAt'>,
  respond: Respond<Cosigned>,
  idempotency?: IdempotencyClaim,
): Promise<Reply> {
  const { timelineId, size, keyId, accountId } = cosignature;
  return writer.write<Cosigned>({
    idempotency,
    key: `cosignatures ${timelineId}`,
    lane: accountId,
    respond,
    // As for keys: a race between two requests is settled by the commit (one per key and size).
    work: async (set, at) => {
      const stored = await writer.store.cosignatures(timelineId, size);
      const existing = stored.find((row) => row.keyId === keyId);
      if (existing !== undefined)
        return { ok: true, value: { created: false, cosignature: existing } };
      if (stored.length >= MAX_COSIGNATURES)
        return failure(
          'too_many_cosignatures',
          `the checkpoint of size ${size} carries ${MAX_COSIGNATURES} co-signatures, as many as a note may`,
        );
      const record: CosignatureRecord = { ...cosignature, createdAt: at };
      set.rows.cosignatures.push(record);
      return { ok: true, value: { created: true, cosignature: record } };
    },
  });
}

/**
 * Whether `signature` (a note signature's value, base64) is the account's key's signature
 * of `body` as a signed note under the key name = the account id. Verified by opening the
 * note the co-signature line makes, so what verifies here opens with the key's vkey anywhere.
 * Never throws.
 */
export function verifiesCheckpoint(
  body: string,
  accountId: string,
  publicKey: Uint8Array,
  signature: string,
): boolean {
  // Canonical base64 holds no newline or space: the line cannot smuggle in a second one.
  const payload = decodeBase64(signature);
  if (payload === undefined || payload.length !== NOTE_SIGNATURE_SIZE) return false;
  let verifier: NoteVerifier;
  try {
    verifier = ed25519Verifier(accountId, publicKey);
  } catch {
    return false;
  }
  return openNote(`${body}\n${cosignatureLine(accountId, signature)}`, [verifier]).ok;
}

function cosignatureLine(accountId: string, signature: string): string {
  return `\u2014 ${accountId} ${signature}\n`;
}

function usableKey(publicKey: Uint8Array): boolean {
  try {
    // Any valid key name will do: this asks only whether the platform takes the key.
    ed25519Verifier('paydoc', publicKey);
    return true;
  } catch {
    return false;
  }
}
