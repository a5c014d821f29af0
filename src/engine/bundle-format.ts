import { createHash } from 'node:crypto';
import { canonicalJson } from '../model/canonical-json.js';
import type { JsonObject, JsonValue } from '../model/json.js';

/**
 * The export bundle, version 1: one document's whole history, self-contained, for anyone to
 * verify offline (`paydoc verify`). Its JSON Schema is docs/export-bundle.schema.json; the
 * format is explained in docs/verify-offline.md. A reader refuses a format or version it does
 * not know rather than guess: a new field that changes what a check means is a new version.
 *
 * What vouches for what:
 * - every timeline entry is signed by a server key (`entry.signature`, over `entrySigningText`)
 *   and proved (`entry.proof`) to be in its timeline's signed checkpoint (`timelines[].checkpoint`,
 *   a C2SP signed note that participants may have co-signed);
 * - inputs that are not entries (initialisation, timers, REST calls without a timeline) and
 *   every recorded result are vouched for by replay (the processor is deterministic) and by
 *   the server's signed head (`head`: the id, version, BlueId and history hash);
 * - the keys are the server's published keys (`GET /.well-known/paydoc/keys`); a key id is
 *   derived from its public key, so a swapped key names itself as another.
 */

export const BUNDLE_FORMAT = 'paydoc-export';
export const BUNDLE_VERSION = 1;

export interface ExportBundle {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  documentId: string;
  /** When the server wrote the bundle (ms since the epoch). */
  exportedAt: number;
  /** The document as posted, with the timelines the server bound: what initialisation ran on. */
  genesis: JsonObject;
  /** The owner's own types the document names, in the order they were added. */
  types: JsonObject[];
  /** Every processed event, in processing order (version 1 is the initialisation). */
  inputs: BundleInput[];
  /** Each timeline an input came from: its checkpoint at the last of those entries. */
  timelines: BundleTimeline[];
  final: { version: number; blueId: string; document: JsonObject };
  /**
   * The server's signed note of the document's head: `paydoc/documents/<id>`, then the
   * version, the BlueId and the history hash (historyHash: every input and result, chained),
   * one per line.
   */
  head: string;
  keys: BundleKey[];
  /** The participant keys that co-signed a checkpoint of the bundle. */
  cosigners: BundleCosigner[];
}

export interface BundleInput {
  version: number;
  origin: 'input' | 'processor';
  /** The server's time for the input (every answer to it has the same). */
  at: number;
  /** The processor event as recorded: `{kind: initialize | timeline | direct | timer, …}`. */
  event: JsonObject;
  /** For a timeline entry: where it is, the server's signature of it and its inclusion proof. */
  entry?: BundleEntry;
  result: BundleResult;
}

export interface BundleEntry {
  timelineId: string;
  sequence: number;
  /** The entry's BlueId (entryBlueId of `event.entry`). */
  blueId: string;
  signature: { keyId: string; value: string };
  /** The audit path (base64 hashes) of leaf `sequence − 1` in the tree of its checkpoint. */
  proof: string[];
}

export interface BundleResult {
  status: JsonObject;
  /** The patches the event applied (JSON pointers into the document), as recorded. */
  patches: JsonValue[];
  emitted: JsonObject[];
  /** The document's BlueId after the event. */
  blueId: string;
}

export interface BundleTimeline {
  timelineId: string;
  /** The checkpoint's tree size: the sequence of the timeline's last entry in the bundle. */
  size: number;
  /** The signed checkpoint (C2SP note): the server's line first, then co-signatures. */
  checkpoint: string;
  /** Proofs (base64 hashes) that this tree extends the trees of earlier sizes, when asked for. */
  consistency: { from: number; proof: string[] }[];
}

export interface BundleKey {
  keyId: string;
  /** The raw 32-byte Ed25519 public key, base64. */
  publicKey: string;
  createdAt: number;
  retiredAt: number | null;
}

export interface BundleCosigner {
  keyId: string;
  accountId: string;
  publicKey: string;
}

/** The origin line of a document head note. */
export function headOrigin(documentId: string): string {
  return `paydoc/documents/${documentId}`;
}

/** The text the server signs as a document's head. */
export function headBody(
  documentId: string,
  version: number,
  blueId: string,
  history: string,
): string {
  return `${headOrigin(documentId)}\n${version}\n${blueId}\n${history}\n`;
}

/**
 * The hash of a document's history: SHA-256 chained over the canonical JSON of each input
 * (version, origin, time, event, result), base64. The head signs it, so what the replay alone
 * would not vouch for (the time of an input that changed nothing, a recorded refusal) is
 * signed too.
 */
export function historyHash(inputs: readonly BundleInput[]): string {
  let chain = createHash('sha256').update('paydoc history v1').digest();
  for (const input of inputs) {
    const { version, origin, at, event, result } = input;
    const text = canonicalJson({ version, origin, at, event, result } as unknown as JsonValue);
    chain = createHash('sha256').update(chain).update(text).digest();
  }
  return chain.toString('base64');
}
