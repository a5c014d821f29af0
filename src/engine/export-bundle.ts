import type { JsonObject, JsonValue } from '../model/json.js';
import { TYPE_KEYS } from '../model/node.js';
import { isJsonObject } from '../model/json.js';
import type { Store } from '../store/store.js';
import type { EntryRecord, ResultRecord, TypeRecord } from '../store/store-records.js';
import { encodeBase64 } from '../tlog/base64.js';
import { consistencyProof } from '../tlog/merkle.js';
import { MerkleTree } from '../tlog/merkle-tree.js';
import type { BundleCosigner, BundleInput, BundleTimeline, ExportBundle } from './bundle-format.js';
import { BUNDLE_FORMAT, BUNDLE_VERSION, headBody, historyHash } from './bundle-format.js';
import type { Meter } from './timeline-log.js';
import {
  cosignerKeys,
  entryLeafHash,
  signedCheckpoint,
  timelineEntries,
  unmetered,
} from './timeline-log.js';

/** What an export reads and signs with: the engine's store and its current key. */
export interface ExportSource {
  readonly store: Store;
  signNote(text: string): string;
}

export interface ExportOptions {
  /** The server's time. */
  at: number;
  /**
   * Tree sizes of an earlier bundle, by timeline: each timeline then carries the consistency
   * proof from that size (`paydoc export --previous`).
   */
  previous?: ReadonlyMap<string, number>;
  /** Accounts the hashing to a reader's turn. */
  meter?: Meter;
}

/**
 * A document's export bundle (bundle-format.ts), read from what is committed. The document is
 * read first and the bundle stops at its version, so an input committed meanwhile is not half
 * in it; each timeline's checkpoint is taken at the last of its entries the bundle holds, so
 * later entries of a shared timeline are not needed to prove it.
 */
export async function exportBundle(
  source: ExportSource,
  documentId: string,
  options: ExportOptions,
): Promise<ExportBundle | undefined> {
  const { store } = source;
  const meter = options.meter ?? unmetered;
  const record = await store.document(documentId);
  if (record === undefined) return undefined;
  const results = (await store.results(documentId)).filter(
    (result) => result.version <= record.version,
  );
  const sizes = timelineSizes(results);
  const trees = new Map<string, { tree: MerkleTree; entries: EntryRecord[] }>();
  for (const [timelineId, size] of sizes) {
    const entries = await timelineEntries(store, timelineId, size);
    trees.set(timelineId, {
      entries,
      tree: meter(() => new MerkleTree(entries.map((entry) => entryLeafHash(entry.blueId)))),
    });
  }
  const inputs = results.map((result): BundleInput => {
    const event = result.event;
    const input: BundleInput = {
      version: result.version,
      origin: result.origin,
      at: result.at,
      event,
      result: {
        status: result.status,
        patches: result.patches,
        emitted: result.emitted,
        blueId: result.blueId,
      },
    };
    const place = entryPlace(event);
    const log = place === undefined ? undefined : trees.get(place.timelineId);
    const stored = place === undefined ? undefined : log?.entries[place.sequence - 1];
    if (place === undefined || log === undefined || stored?.signature === undefined) return input;
    return {
      ...input,
      entry: {
        timelineId: place.timelineId,
        sequence: place.sequence,
        blueId: stored.blueId,
        signature: stored.signature,
        proof: meter(() => log.tree.inclusionProof(place.sequence - 1)).map(encodeBase64),
      },
    };
  });
  const timelines: BundleTimeline[] = [];
  const cosigners = new Map<string, BundleCosigner>();
  for (const [timelineId, { tree }] of trees) {
    const size = tree.size;
    const root = tree.root();
    const checkpoint = await signedCheckpoint(
      store,
      (text) => source.signNote(text),
      timelineId,
      size,
      root,
      meter,
    );
    for (const key of await cosignerKeys(store, timelineId, size))
      cosigners.set(key.keyId, {
        keyId: key.keyId,
        accountId: key.accountId,
        publicKey: key.publicKey,
      });
    const from = options.previous?.get(timelineId);
    timelines.push({
      timelineId,
      size,
      checkpoint,
      consistency:
        from === undefined || from < 1 || from >= size
          ? []
          : [
              {
                from,
                proof: meter(() => consistencyProof(tree.leaves, from, size)).map(encodeBase64),
              },
            ],
    });
  }
  const keys = (await store.signingKeys()).map((key) => ({
    keyId: key.keyId,
    publicKey: key.publicKey,
    createdAt: key.createdAt,
    retiredAt: key.retiredAt,
  }));
  return {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    documentId,
    exportedAt: options.at,
    genesis: record.genesis,
    types: ownTypesNamed(await store.typesOf(record.ownerId), record.genesis, results),
    inputs,
    timelines,
    final: { version: record.version, blueId: record.blueId, document: record.state },
    head: source.signNote(headBody(documentId, record.version, record.blueId, historyHash(inputs))),
    keys,
    cosigners: [...cosigners.values()],
  };
}

/** The timeline and sequence of a recorded timeline event. */
export function entryPlace(
  event: JsonObject,
): { timelineId: string; sequence: number } | undefined {
  if (event.kind !== 'timeline' || !isJsonObject(event.entry)) return undefined;
  const timeline = event.entry.timeline;
  const sequence = event.entry.sequence;
  if (!isJsonObject(timeline) || typeof timeline.timelineId !== 'string') return undefined;
  if (typeof sequence !== 'number') return undefined;
  return { timelineId: timeline.timelineId, sequence };
}

/** Each timeline of the inputs, with the last sequence of its entries among them. */
function timelineSizes(results: readonly ResultRecord[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const result of results) {
    const place = entryPlace(result.event);
    if (place !== undefined)
      sizes.set(place.timelineId, Math.max(sizes.get(place.timelineId) ?? 0, place.sequence));
  }
  return sizes;
}

/**
 * The owner's own types the document needs to be replayed: those its genesis or inputs refer
 * to (a type alias or a `{blueId}`), and those these refer to in turn, among the types that
 * existed when its last input was processed, in the order they were added. An owner's other
 * types are the owner's business, not the bundle's.
 */
function ownTypesNamed(
  types: readonly TypeRecord[],
  genesis: JsonObject,
  results: readonly ResultRecord[],
): JsonObject[] {
  const until = results.at(-1)?.at ?? 0;
  const candidates = types.filter((type) => type.createdAt <= until);
  const refs = new Set<string>();
  const pending: JsonValue[] = [genesis, ...results.map((result) => result.event)];
  const included = new Set<TypeRecord>();
  while (pending.length > 0) {
    collectTypeRefs(pending.pop() as JsonValue, refs);
    for (const type of candidates) {
      if (included.has(type)) continue;
      const named = [type.blueId, type.name, `Own/${type.name}`, `Local/${type.name}`];
      if (!named.some((name) => refs.has(name))) continue;
      included.add(type);
      pending.push(type.definition);
    }
  }
  return candidates.filter((type) => included.has(type)).map((type) => type.definition);
}

/** Every type alias (under type, itemType, keyType, valueType) and `{blueId}` in a tree. */
function collectTypeRefs(root: JsonValue, refs: Set<string>): void {
  const stack: JsonValue[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as JsonValue;
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    if (!isJsonObject(node)) continue;
    for (const key of Object.keys(node)) {
      const child = node[key] as JsonValue;
      if (key === 'blueId' && typeof child === 'string') refs.add(child);
      else if ((TYPE_KEYS as readonly string[]).includes(key)) {
        const alias =
          typeof child === 'string' ? child : isJsonObject(child) ? child.value : undefined;
        if (typeof alias === 'string') refs.add(alias);
        else stack.push(child);
      } else stack.push(child);
    }
  }
}
