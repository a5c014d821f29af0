import { createPublicKey, verify as verifySignature } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { canonicalJson } from '../model/canonical-json.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { processEvent } from '../processor/process-event.js';
import type {
  ProcessContext,
  ProcessorEvent,
  ProcessResult,
  ProcessStatus,
} from '../processor/processor-types.js';
import { decodeBase64 } from '../tlog/base64.js';
import { parseCheckpoint } from '../tlog/checkpoint.js';
import { entrySigningText } from '../tlog/entry-signature.js';
import { rootHash, verifyConsistency, verifyInclusion } from '../tlog/merkle.js';
import { MerkleTree, sameBytes } from '../tlog/merkle-tree.js';
import type { NoteVerifier } from '../tlog/note-key.js';
import { ed25519Verifier } from '../tlog/note-key.js';
import { openNote } from '../tlog/signed-note.js';
import { documentBlueId, entryBlueId } from '../types/document-id.js';
import { defaultLibraryPackages, defaultTypeRegistry } from '../types/load-library.js';
import { buildOwnRegistry } from '../types/own-types.js';
import type { PackageSource } from '../types/type-definition.js';
import type { TypeRegistry } from '../types/type-registry.js';
import type { BundleInput, BundleTimeline, ExportBundle } from './bundle-format.js';
import { headBody, historyHash } from './bundle-format.js';
import { BUNDLE_SCHEMA } from './bundle-schema.js';
import type { ConversationState } from './conversation.js';
import { Conversation } from './conversation.js';
import { entryPlace } from './export-bundle.js';
import { PaymentDesk } from './payment-desk.js';
import { replayContext, takenAsRecorded } from './replay-document.js';
import { keyIdOf, NOTE_KEY_NAME } from './signing-keys.js';
import { memoryTimelines } from './timeline-entry.js';
import { entryLeafHash, originOf } from './timeline-log.js';
import { initializedDocumentId } from '../processor/markers.js';

/**
 * `paydoc verify`: checks an export bundle (bundle-format.ts) offline, with nothing but the
 * bundle: its shape; the keys (each key id is derived from its key); every checkpoint's
 * signatures, the server's and the participants'; every entry's id, signature, place in its
 * timeline's chain and inclusion proof; then it replays every input through the same loop as
 * the server (conversation.ts: the processor and the payment processor), compares each
 * result with the recorded one, the final document with the bundle's, and the server's
 * signed head with both. The first disagreement stops it and is reported: which check, where
 * in the bundle (a JSON pointer), which input, and where the states differ.
 */

export type VerifyCheck =
  | 'format'
  | 'keys'
  | 'types'
  | 'checkpoint'
  | 'cosignature'
  | 'entry'
  | 'signature'
  | 'chain'
  | 'inclusion'
  | 'genesis'
  | 'replay'
  | 'answer'
  | 'result'
  | 'final'
  | 'head'
  | 'previous';

/** The first place a bundle does not hold together. */
export interface Divergence {
  check: VerifyCheck;
  /** A JSON pointer into the bundle: what was checked. */
  at: string;
  /** The input it concerns (its version), when one. */
  version?: number;
  /** Where the replayed and the recorded values differ (a JSON pointer into them). */
  pointer?: string;
  message: string;
}

export interface VerifySummary {
  documentId: string;
  version: number;
  inputs: number;
  answers: number;
  entries: number;
  timelines: number;
  signatures: number;
  cosignatures: number;
  /** The server keys that signed something in the bundle. */
  keys: string[];
  /** Were the keys given (`--keys`, an older bundle), or only taken from the bundle itself? */
  pinned: boolean;
  blueId: string;
}

export type VerifyReport =
  | { ok: true; summary: VerifySummary; bundle: ExportBundle }
  | { ok: false; divergence: Divergence };

export interface VerifyOptions {
  /** Runs the document's scripts. */
  sandbox: ProcessContext['sandbox'];
  /** The library the document's own types extend (the shipped one by default). */
  libraryPackages?: readonly PackageSource[];
  library?: TypeRegistry;
  /** When given, every server key the bundle uses must be one of these key ids. */
  trustedKeys?: ReadonlySet<string>;
}

class Stop extends Error {
  constructor(readonly divergence: Divergence) {
    super(divergence.message);
  }
}

function stop(divergence: Divergence): never {
  throw new Stop(divergence);
}

let schemaCheck: ReturnType<Ajv2020['compile']> | undefined;

/** Verifies a bundle (parsed JSON of any shape). Never throws on what the bundle holds. */
export async function verifyBundle(value: unknown, options: VerifyOptions): Promise<VerifyReport> {
  try {
    checkTree(value);
    const bundle = shapeOf(value);
    const keys = serverKeys(bundle, options.trustedKeys);
    const registry = registryOf(bundle, options);
    const library = options.library ?? defaultTypeRegistry();
    const logs = checkTimelines(bundle, keys);
    const entries = checkEntries(bundle, keys, library, logs);
    // The signatures are checked in libuv's thread pool while this thread replays: on a
    // machine with a second core, Ed25519 (the dearest check) costs the replay nothing. A bad
    // signature is reported before anything the replay finds: it is the earlier check.
    const cancel = { cancelled: false };
    const replaying = replay(bundle, registry, library, options.sandbox, cancel).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    for (const signature of entries.signatures)
      if (!(await signature.check)) {
        // The replay stops at its next event, and is over before the report is.
        cancel.cancelled = true;
        await replaying;
        stop(signature.failed);
      }
    const replayedOutcome = await replaying;
    if (!replayedOutcome.ok) throw replayedOutcome.error;
    const replayed = replayedOutcome.value;
    checkHead(bundle, keys, replayed.blueId);
    return {
      ok: true,
      bundle,
      summary: {
        documentId: bundle.documentId,
        version: bundle.final.version,
        inputs: bundle.inputs.length,
        answers: bundle.inputs.filter((input) => input.origin === 'processor').length,
        entries: entries.count,
        timelines: bundle.timelines.length,
        signatures: entries.count + bundle.timelines.length + 1,
        cosignatures: [...logs.values()].reduce((sum, log) => sum + log.cosignatures, 0),
        keys: [...entries.keysUsed].sort(),
        pinned: options.trustedKeys !== undefined,
        blueId: replayed.blueId,
      },
    };
  } catch (error) {
    if (error instanceof Stop) return { ok: false, divergence: error.divergence };
    // What the bundle holds may make the processor or the desk fail in ways no check above
    // names (a genesis no server would have taken): still a bundle that does not verify.
    return {
      ok: false,
      divergence: {
        check: 'replay',
        at: '',
        message: `the replay failed: ${error instanceof Error ? error.message : String(error)}`,
      },
    };
  }
}

/** Nesting a verifier walks at most (documents are far shallower: load-yaml allows 64). */
const MAX_BUNDLE_DEPTH = 256;

/**
 * Before anything reads the bundle: no deeper than {@link MAX_BUNDLE_DEPTH} (the checks below
 * recurse), and no `__proto__` key, which no server stores and which a BlueId could not see.
 */
function checkTree(value: unknown): void {
  const stack: { node: unknown; depth: number; at: string }[] = [{ node: value, depth: 0, at: '' }];
  while (stack.length > 0) {
    const { node, depth, at } = stack.pop() as { node: unknown; depth: number; at: string };
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_BUNDLE_DEPTH)
      stop({
        check: 'format',
        at,
        message: `the bundle nests deeper than ${MAX_BUNDLE_DEPTH} levels`,
      });
    if (Array.isArray(node)) {
      node.forEach((child, index) =>
        stack.push({ node: child, depth: depth + 1, at: `${at}/${index}` }),
      );
      continue;
    }
    for (const key of Object.keys(node)) {
      if (key === '__proto__')
        stop({
          check: 'format',
          at: `${at}/__proto__`,
          message: "a key '__proto__' is in the bundle",
        });
      stack.push({
        node: (node as Record<string, unknown>)[key],
        depth: depth + 1,
        at: `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`,
      });
    }
  }
}

/**
 * Verifies `newer`, then that it extends `older`: the same document, the older inputs and
 * results unchanged at its start, and each older checkpoint's tree a prefix of the newer one's
 * (a consistency proof, or, when the newer bundle holds the whole timeline, its recomputation).
 */
export async function verifyExtends(
  newer: unknown,
  older: unknown,
  options: VerifyOptions,
): Promise<VerifyReport> {
  const before = await verifyBundle(older, options);
  if (!before.ok)
    return {
      ok: false,
      divergence: {
        ...before.divergence,
        check: 'previous',
        message: `the older bundle does not verify: ${before.divergence.message}`,
      },
    };
  // Without keys given, the older bundle's are the trusted ones (trust on first use): a newer
  // history signed by a key the older one did not know is refused, with a way forward.
  const trustedKeys = options.trustedKeys ?? new Set(before.bundle.keys.map((key) => key.keyId));
  const after = await verifyBundle(newer, { ...options, trustedKeys });
  if (!after.ok) {
    if (after.divergence.check !== 'keys' || options.trustedKeys !== undefined) return after;
    return {
      ok: false,
      divergence: {
        ...after.divergence,
        check: 'previous',
        message: `${after.divergence.message} (the older bundle's keys are the trusted ones; a key rotated since needs --keys with the server's published keys)`,
      },
    };
  }
  try {
    checkExtends(after.bundle, before.bundle);
  } catch (error) {
    if (error instanceof Stop) return { ok: false, divergence: error.divergence };
    throw error;
  }
  return after;
}

function shapeOf(value: unknown): ExportBundle {
  if (isJsonObject(value as JsonValue) && (value as JsonObject).format === 'paydoc-export') {
    const version = (value as JsonObject).version;
    if (version !== 1)
      stop({
        check: 'format',
        at: '/version',
        message: `bundle version ${JSON.stringify(version)}: this paydoc reads version 1`,
      });
  }
  schemaCheck ??= new Ajv2020({ allErrors: false, strict: false }).compile(BUNDLE_SCHEMA);
  if (!schemaCheck(value)) {
    const error = schemaCheck.errors?.[0];
    stop({
      check: 'format',
      at: error?.instancePath ?? '',
      message: `not an export bundle: ${error?.instancePath || '/'} ${error?.message ?? 'is invalid'}`,
    });
  }
  return value as unknown as ExportBundle;
}

interface ServerKey {
  keyId: string;
  key: KeyObject;
  note: NoteVerifier;
}

function serverKeys(bundle: ExportBundle, trusted?: ReadonlySet<string>): Map<string, ServerKey> {
  const keys = new Map<string, ServerKey>();
  bundle.keys.forEach((key, index) => {
    const at = `/keys/${index}`;
    const raw = decodeBase64(key.publicKey);
    if (raw === undefined || raw.length !== 32)
      stop({ check: 'keys', at: `${at}/publicKey`, message: 'a key is 32 bytes of base64' });
    if (keyIdOf(raw) !== key.keyId)
      stop({
        check: 'keys',
        at: `${at}/keyId`,
        message: `key ${key.keyId} is not the key it names (its key is ${keyIdOf(raw)})`,
      });
    if (trusted !== undefined && !trusted.has(key.keyId))
      stop({ check: 'keys', at, message: `key ${key.keyId} is not one of the trusted keys` });
    try {
      keys.set(key.keyId, {
        keyId: key.keyId,
        key: createPublicKey({
          key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
          format: 'jwk',
        }),
        note: ed25519Verifier(NOTE_KEY_NAME, raw),
      });
    } catch {
      stop({ check: 'keys', at: `${at}/publicKey`, message: 'not an Ed25519 public key' });
    }
  });
  return keys;
}

function registryOf(bundle: ExportBundle, options: VerifyOptions): TypeRegistry {
  const library = options.library ?? defaultTypeRegistry();
  if (bundle.types.length === 0) return library;
  const built = buildOwnRegistry(
    options.libraryPackages ?? defaultLibraryPackages(),
    library,
    bundle.types.map((node) => ({ node })),
  );
  if (!built.ok)
    stop({
      check: 'types',
      at: '/types',
      message: `the bundle's own types do not build: ${built.problems[0]?.message ?? ''}`,
    });
  return built.registry;
}

interface CheckedLog {
  timeline: BundleTimeline;
  index: number;
  root: Uint8Array;
  cosignatures: number;
}

function checkTimelines(
  bundle: ExportBundle,
  keys: ReadonlyMap<string, ServerKey>,
): Map<string, CheckedLog> {
  const cosigners = bundle.cosigners.map((cosigner, index) => {
    const raw = decodeBase64(cosigner.publicKey);
    const at = `/cosigners/${index}`;
    if (cosigner.accountId === NOTE_KEY_NAME)
      stop({
        check: 'cosignature',
        at: `${at}/accountId`,
        message: `a co-signer may not sign as the server (${NOTE_KEY_NAME})`,
      });
    if (raw === undefined || raw.length !== 32 || keyIdOf(raw) !== cosigner.keyId)
      stop({
        check: 'cosignature',
        at,
        message: `co-signer key ${cosigner.keyId} is not the key it names`,
      });
    try {
      return ed25519Verifier(cosigner.accountId, raw);
    } catch {
      return stop({ check: 'cosignature', at, message: 'not an Ed25519 public key' });
    }
  });
  const servers = [...keys.values()].map((key) => key.note);
  const logs = new Map<string, CheckedLog>();
  bundle.timelines.forEach((timeline, index) => {
    const at = `/timelines/${index}/checkpoint`;
    if (logs.has(timeline.timelineId))
      stop({
        check: 'checkpoint',
        at: `/timelines/${index}`,
        message: `timeline ${timeline.timelineId} is listed twice`,
      });
    const opened = openNote(timeline.checkpoint, [...servers, ...cosigners]);
    if (!opened.ok)
      stop({
        check: 'checkpoint',
        at,
        message: `the checkpoint of ${timeline.timelineId} does not verify: ${opened.message}`,
      });
    if (opened.unknown.length > 0)
      stop({
        check: 'cosignature',
        at,
        message: `the checkpoint of ${timeline.timelineId} carries a signature of ${opened.unknown[0]?.name ?? '?'}, whose key is not in the bundle`,
      });
    if (!opened.verified.some((signature) => signature.name === NOTE_KEY_NAME))
      stop({
        check: 'checkpoint',
        at,
        message: `the checkpoint of ${timeline.timelineId} is not signed by the server`,
      });
    const parsed = parseCheckpoint(opened.text);
    if (!parsed.ok) stop({ check: 'checkpoint', at, message: parsed.message });
    const { checkpoint } = parsed;
    if (checkpoint.origin !== originOf(timeline.timelineId) || checkpoint.size !== timeline.size)
      stop({
        check: 'checkpoint',
        at,
        message: `the checkpoint is of ${checkpoint.origin} at size ${checkpoint.size}, not of ${timeline.timelineId} at ${timeline.size}`,
      });
    logs.set(timeline.timelineId, {
      timeline,
      index,
      root: checkpoint.rootHash,
      cosignatures: opened.verified.length - 1,
    });
  });
  return logs;
}

interface PendingSignature {
  check: Promise<boolean>;
  failed: Divergence;
}

/** Ed25519 verification off the main thread (node:crypto's callback form runs in the pool). */
function verifyInPool(text: Buffer, key: KeyObject, signature: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      verifySignature(null, text, key, signature, (error, ok) => resolve(error === null && ok));
    } catch {
      resolve(false);
    }
  });
}

interface PlacedEntry {
  input: BundleInput;
  at: string;
  sequence: number;
  leaf: Uint8Array;
  /** As the bundle carries it (base64): decoded only when the whole tree is not in hand. */
  proof: readonly string[];
}

/** Entry ids, signatures, chains and inclusion proofs. */
function checkEntries(
  bundle: ExportBundle,
  keys: ReadonlyMap<string, ServerKey>,
  registry: TypeRegistry,
  logs: ReadonlyMap<string, CheckedLog>,
): { count: number; keysUsed: Set<string>; signatures: PendingSignature[] } {
  const byTimeline = new Map<string, PlacedEntry[]>();
  const signatures: PendingSignature[] = [];
  const keysUsed = new Set<string>();
  let count = 0;
  bundle.inputs.forEach((input, index) => {
    const at = `/inputs/${index}`;
    if (input.version !== index + 1)
      stop({
        check: 'format',
        at: `${at}/version`,
        version: input.version,
        message: `input ${index + 1} is version ${input.version}: versions run 1, 2, 3, … without gaps`,
      });
    const place = entryPlace(input.event);
    if (place === undefined) {
      if (input.event.kind === 'timeline')
        stop({
          check: 'entry',
          at: `${at}/event`,
          version: input.version,
          message: 'a timeline event without its timeline and sequence',
        });
      if (input.entry !== undefined)
        stop({
          check: 'entry',
          at: `${at}/entry`,
          version: input.version,
          message: 'an entry given for an input that is not one',
        });
      return;
    }
    const entry = input.entry;
    if (entry === undefined)
      return stop({
        check: 'signature',
        at,
        version: input.version,
        message: `entry ${place.sequence} of ${place.timelineId} carries no signature and no proof`,
      });
    count += 1;
    if (entry.timelineId !== place.timelineId || entry.sequence !== place.sequence)
      stop({
        check: 'entry',
        at: `${at}/entry`,
        version: input.version,
        message: 'the entry is placed elsewhere than its event says',
      });
    const id = entryBlueId(input.event.entry as JsonObject, registry);
    if (id !== entry.blueId || (input.event.entryId !== undefined && input.event.entryId !== id))
      stop({
        check: 'entry',
        at: `${at}/event/entry`,
        version: input.version,
        message: `entry ${place.sequence} of ${place.timelineId} hashes to ${id}, not the ${entry.blueId} it is signed as`,
      });
    const key = keys.get(entry.signature.keyId);
    if (key === undefined)
      stop({
        check: 'signature',
        at: `${at}/entry/signature/keyId`,
        version: input.version,
        message: `no key ${entry.signature.keyId} in the bundle`,
      });
    const signature = decodeBase64(entry.signature.value);
    const failed: Divergence = {
      check: 'signature',
      at: `${at}/entry/signature`,
      version: input.version,
      message: `the signature of entry ${place.sequence} of ${place.timelineId} does not verify with key ${key.keyId}`,
    };
    if (signature === undefined || signature.length !== 64) stop(failed);
    const text = Buffer.from(entrySigningText(place.timelineId, place.sequence, id), 'utf8');
    signatures.push({ check: verifyInPool(text, key.key, signature), failed });
    keysUsed.add(key.keyId);
    const list = byTimeline.get(place.timelineId) ?? [];
    list.push({
      input,
      at,
      sequence: place.sequence,
      leaf: entryLeafHash(id),
      proof: entry.proof,
    });
    byTimeline.set(place.timelineId, list);
  });
  for (const [timelineId, entries] of byTimeline) {
    const log = logs.get(timelineId);
    if (log === undefined)
      stop({
        check: 'checkpoint',
        at: '/timelines',
        message: `timeline ${timelineId} has entries but no checkpoint`,
      });
    checkChain(timelineId, entries, log);
    checkInclusion(timelineId, entries, log);
  }
  for (const log of logs.values())
    if (!byTimeline.has(log.timeline.timelineId))
      stop({
        check: 'checkpoint',
        at: `/timelines/${log.index}`,
        message: `timeline ${log.timeline.timelineId} has a checkpoint but no entry`,
      });
  return { count, keysUsed, signatures };
}

/**
 * Every entry of a timeline reaches every document listening to it, so the bundle holds them
 * all from the first that reached the document to its checkpoint's size, in order, each naming
 * the one before: a dropped, duplicated or moved entry breaks this.
 */
function checkChain(timelineId: string, entries: readonly PlacedEntry[], log: CheckedLog): void {
  let previous: PlacedEntry | undefined;
  for (const entry of entries) {
    const prevEntry = (entry.input.event.entry as JsonObject).prevEntry;
    const named = isJsonObject(prevEntry) ? prevEntry.blueId : undefined;
    if (previous !== undefined) {
      if (entry.sequence <= previous.sequence)
        stop({
          check: 'chain',
          at: entry.at,
          version: entry.input.version,
          message: `entry ${entry.sequence} of ${timelineId} comes after entry ${previous.sequence}`,
        });
      if (entry.sequence !== previous.sequence + 1)
        stop({
          check: 'chain',
          at: entry.at,
          version: entry.input.version,
          message: `entries ${previous.sequence + 1}…${entry.sequence - 1} of ${timelineId} are missing`,
        });
      if (named !== previous.input.entry?.blueId)
        stop({
          check: 'chain',
          at: `${entry.at}/event/entry/prevEntry`,
          version: entry.input.version,
          message: `entry ${entry.sequence} of ${timelineId} does not follow entry ${previous.sequence}`,
        });
    } else if ((entry.sequence === 1) !== (named === undefined)) {
      stop({
        check: 'chain',
        at: `${entry.at}/event/entry`,
        version: entry.input.version,
        message: `entry ${entry.sequence} of ${timelineId} ${entry.sequence === 1 ? 'is the first and names one before it' : 'names no entry before it'}`,
      });
    }
    previous = entry;
  }
  if (previous !== undefined && previous.sequence !== log.timeline.size)
    stop({
      check: 'chain',
      at: `/timelines/${log.index}/size`,
      message: `the checkpoint of ${timelineId} holds ${log.timeline.size} entries; the bundle's last is ${previous.sequence}`,
    });
}

function checkInclusion(
  timelineId: string,
  entries: readonly PlacedEntry[],
  log: CheckedLog,
): void {
  const size = log.timeline.size;
  // The whole timeline in hand: one tree, and each proof must be its path.
  const tree =
    entries.length === size && entries[0]?.sequence === 1
      ? new MerkleTree(entries.map((entry) => entry.leaf))
      : undefined;
  if (tree !== undefined && !sameBytes(tree.root(), log.root))
    stop({
      check: 'inclusion',
      at: `/timelines/${log.index}/checkpoint`,
      message: `the entries of ${timelineId} do not make the tree its checkpoint signs`,
    });
  for (const entry of entries) {
    const at = `${entry.at}/entry/proof`;
    let ok: boolean;
    if (tree !== undefined) ok = tree.provesLeafText(entry.sequence - 1, entry.proof);
    else {
      const proof = entry.proof.map((hash) => decodeBase64(hash));
      if (proof.some((hash) => hash === undefined || hash.length !== 32))
        stop({
          check: 'inclusion',
          at,
          version: entry.input.version,
          message: 'a proof hash is 32 bytes of base64',
        });
      ok = verifyInclusion(
        entry.leaf,
        entry.sequence - 1,
        size,
        proof as Uint8Array[],
        log.root,
      ).ok;
    }
    if (!ok)
      stop({
        check: 'inclusion',
        at,
        version: entry.input.version,
        message: `the proof of entry ${entry.sequence} of ${timelineId} does not lead to its checkpoint's root`,
      });
  }
}

/**
 * Replays every input through the server's loop. The edge here is the bundle: each event the
 * loop processes must be the next recorded one (an answer's entry as the processor would stamp
 * it), and each step's result must be the recorded result.
 */
async function replay(
  bundle: ExportBundle,
  registry: TypeRegistry,
  library: TypeRegistry,
  sandbox: ProcessContext['sandbox'],
  cancel: { cancelled: boolean } = { cancelled: false },
): Promise<{ blueId: string }> {
  const context = replayContext({ registry, sandbox });
  const desk = new PaymentDesk(registry);
  const inputs = bundle.inputs;
  let cursor = 0;
  let current: { input: BundleInput; at: string } | undefined;
  let pending = false;
  const next = (event: ProcessorEvent, origin: 'input' | 'processor') => {
    if (cancel.cancelled) throw new Error('the verification stopped');
    const input = inputs[cursor];
    const at = `/inputs/${cursor}`;
    if (input === undefined)
      stop({
        check: 'answer',
        at: '/inputs',
        message: `the processor answers more than the ${inputs.length} inputs recorded`,
      });
    if (input.origin !== origin)
      stop({
        check: 'answer',
        at: `${at}/origin`,
        version: input.version,
        message:
          origin === 'processor'
            ? `the processor answers here; the bundle records an input`
            : `the bundle records an answer the processor does not give`,
      });
    const recorded = input.event as unknown as JsonValue;
    const given = event as unknown as JsonValue;
    if (canonicalJson(recorded) !== canonicalJson(given))
      stop({
        check: 'answer',
        at: `${at}/event`,
        version: input.version,
        pointer: firstDifference(given, recorded),
        message: `the processor's answer is not the one recorded`,
      });
    cursor += 1;
    current = { input, at };
    return input;
  };
  const talk = new Conversation(desk, {
    process: async (document, event) => {
      // The loop processes the input the replay just gave it, then each answer it delivers.
      const input = pending ? current?.input : next(event, 'processor');
      pending = false;
      if (input === undefined) throw new Error('an event without its input');
      return run(document, event, input, context);
    },
    // Entries are hashed with the library, as the server hashes them.
    append: memoryTimelines(library),
    record: (step) => {
      if (current === undefined) throw new Error('a step without its input');
      compareResult(step.result, current.input, current.at, registry);
    },
  });
  const first = inputs[0] as BundleInput;
  if (first.event.kind !== 'initialize' || first.origin !== 'input')
    stop({
      check: 'genesis',
      at: '/inputs/0/event',
      message: 'the first input is the initialisation',
    });
  const initialize = next(first.event as unknown as ProcessorEvent, 'input');
  const initialized = await run(
    bundle.genesis,
    first.event as unknown as ProcessorEvent,
    initialize,
    context,
  );
  const documentId = initializedDocumentId(initialized.document);
  if (documentId !== bundle.documentId)
    stop({
      check: 'genesis',
      at: '/genesis',
      message: `the genesis initialises as document ${documentId || '(none)'}, not ${bundle.documentId}`,
    });
  let state: ConversationState = (
    await talk.created(initialized, first.event as unknown as ProcessorEvent, documentId, first.at)
  ).state;
  while (cursor < inputs.length) {
    const input = inputs[cursor] as BundleInput;
    const event = input.event as unknown as ProcessorEvent;
    next(event, 'input');
    pending = true;
    state = (await talk.input(state, event, documentId, input.at)).state;
  }
  const blueId = documentBlueId(state.document, registry);
  const final = bundle.final;
  if (canonicalJson(state.document) !== canonicalJson(final.document))
    stop({
      check: 'final',
      at: '/final/document',
      pointer: firstDifference(state.document, final.document),
      message: 'the replayed document is not the final document of the bundle',
    });
  if (blueId !== final.blueId || final.version !== inputs.length)
    stop({
      check: 'final',
      at: '/final',
      message: `the replay ends at version ${inputs.length} with BlueId ${blueId}; the bundle says version ${final.version}, ${final.blueId}`,
    });
  return { blueId };
}

async function run(
  document: JsonObject,
  event: ProcessorEvent,
  input: BundleInput,
  context: ProcessContext,
): Promise<ProcessResult> {
  // As the server's replay: a recorded failure of the sandbox itself, or of a budget the
  // machine measures, changed nothing, and is taken as recorded (compareResult checks that).
  if (takenAsRecorded(input.result.status))
    return {
      document,
      patches: [],
      emitted: [],
      gas: 0,
      status: input.result.status as unknown as ProcessStatus,
      skipped: [],
    } as ProcessResult;
  return processEvent(document, event, context);
}

function compareResult(
  result: ProcessResult,
  input: BundleInput,
  at: string,
  registry: TypeRegistry,
): void {
  const recorded = input.result;
  const pairs: [string, JsonValue, JsonValue][] = [
    ['status', result.status as unknown as JsonValue, recorded.status],
    ['patches', result.patches as unknown as JsonValue, recorded.patches],
    ['emitted', result.emitted as unknown as JsonValue, recorded.emitted],
  ];
  for (const [field, replayed, stored] of pairs)
    if (canonicalJson(replayed) !== canonicalJson(stored))
      stop({
        check: 'result',
        at: `${at}/result/${field}`,
        version: input.version,
        pointer: firstDifference(replayed, stored),
        message: `input ${input.version}: the replay's ${field} differ from the recorded ones`,
      });
  const blueId = documentBlueId(result.document, registry);
  if (blueId !== recorded.blueId)
    stop({
      check: 'result',
      at: `${at}/result/blueId`,
      version: input.version,
      message: `input ${input.version}: the replayed document is ${blueId}, the recorded ${recorded.blueId}`,
    });
}

function checkHead(
  bundle: ExportBundle,
  keys: ReadonlyMap<string, ServerKey>,
  blueId: string,
): void {
  const opened = openNote(
    bundle.head,
    [...keys.values()].map((key) => key.note),
  );
  if (!opened.ok)
    stop({
      check: 'head',
      at: '/head',
      message: `the server's signature of the head does not verify: ${opened.message}`,
    });
  if (
    opened.text !==
    headBody(bundle.documentId, bundle.final.version, blueId, historyHash(bundle.inputs))
  )
    stop({
      check: 'head',
      at: '/head',
      message: `the server signed another head: ${JSON.stringify(opened.text)}`,
    });
}

function checkExtends(newer: ExportBundle, older: ExportBundle): void {
  if (newer.documentId !== older.documentId)
    stop({
      check: 'previous',
      at: '/documentId',
      message: `the bundles are of two documents (${older.documentId}, ${newer.documentId})`,
    });
  older.inputs.forEach((input, index) => {
    const later = newer.inputs[index];
    const at = `/inputs/${index}`;
    if (later === undefined)
      stop({
        check: 'previous',
        at,
        version: input.version,
        message: `input ${input.version} of the older bundle is gone`,
      });
    // Proofs are of the tree the bundle was exported at, so they change; nothing else may.
    const before = comparable(input);
    const after = comparable(later);
    if (canonicalJson(before) !== canonicalJson(after))
      stop({
        check: 'previous',
        at,
        version: input.version,
        pointer: firstDifference(after, before),
        message: `input ${input.version} was rewritten since the older bundle`,
      });
  });
  const newerLogs = new Map(newer.timelines.map((timeline) => [timeline.timelineId, timeline]));
  older.timelines.forEach((old, index) => {
    const at = `/timelines/${index}`;
    const now = newerLogs.get(old.timelineId);
    if (now === undefined || now.size < old.size)
      stop({
        check: 'previous',
        at,
        message: `timeline ${old.timelineId} had ${old.size} entries and now has ${now?.size ?? 0}`,
      });
    const oldRoot = checkpointRoot(old);
    const newRoot = checkpointRoot(now);
    if (now.size === old.size) {
      if (!sameBytes(oldRoot, newRoot))
        stop({
          check: 'previous',
          at,
          message: `timeline ${old.timelineId} shows two trees of size ${old.size}`,
        });
      return;
    }
    const given = now.consistency.find((proof) => proof.from === old.size);
    if (given !== undefined) {
      const proof = given.proof.map((hash) => decodeBase64(hash) ?? new Uint8Array());
      const check = verifyConsistency(old.size, now.size, oldRoot, newRoot, proof);
      if (!check.ok)
        stop({
          check: 'previous',
          at,
          message: `timeline ${old.timelineId}: the newer tree does not extend the older one (${check.message})`,
        });
      return;
    }
    const leaves = newer.inputs
      .filter((input) => input.entry?.timelineId === old.timelineId)
      .map((input) => entryLeafHash(input.entry?.blueId ?? ''));
    if (leaves.length !== now.size)
      stop({
        check: 'previous',
        at,
        message: `timeline ${old.timelineId}: no consistency proof from size ${old.size} (export with --previous)`,
      });
    if (!sameBytes(rootHash(leaves.slice(0, old.size)), oldRoot))
      stop({
        check: 'previous',
        at,
        message: `timeline ${old.timelineId}: its first ${old.size} entries were rewritten`,
      });
  });
}

/** An input as a later bundle must repeat it: all of it but its entry's inclusion proof. */
function comparable(input: BundleInput): JsonValue {
  const { proof: _proof, ...entry } = input.entry ?? { proof: [] };
  return {
    event: input.event,
    entry: input.entry === undefined ? null : entry,
    result: input.result,
  } as unknown as JsonValue;
}

/** The root a verified checkpoint signs. */
function checkpointRoot(timeline: BundleTimeline): Uint8Array {
  const body = timeline.checkpoint.slice(0, timeline.checkpoint.indexOf('\n\n') + 1);
  const parsed = parseCheckpoint(body);
  return parsed.ok ? parsed.checkpoint.rootHash : new Uint8Array();
}

/** The first JSON pointer at which two values differ ('' for the whole). */
export function firstDifference(a: JsonValue | undefined, b: JsonValue | undefined): string {
  if (canonicalJson(a ?? null) === canonicalJson(b ?? null)) return '';
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++)
      if (canonicalJson(a[i] ?? null) !== canonicalJson(b[i] ?? null) || i in a !== i in b)
        return `/${i}${firstDifference(a[i], b[i])}`;
    return '';
  }
  if (isJsonObject(a ?? null) && isJsonObject(b ?? null)) {
    const left = a as JsonObject;
    const right = b as JsonObject;
    const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
    for (const key of keys) {
      const l = Object.hasOwn(left, key) ? left[key] : undefined;
      const r = Object.hasOwn(right, key) ? right[key] : undefined;
      if (l === undefined || r === undefined || canonicalJson(l) !== canonicalJson(r))
        return `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}${l === undefined || r === undefined ? '' : firstDifference(l, r)}`;
    }
  }
  return '';
}
