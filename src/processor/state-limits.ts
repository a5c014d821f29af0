import type { JsonObject, JsonValue } from '../model/json.js';
import { escapeSegment } from '../model/json-pointer.js';
import { DEFAULT_LOAD_LIMITS } from '../model/load-yaml.js';
import { Rejection } from './rejection.js';

/**
 * What the engine stores must load: a processed document may be no more than `loadYaml` would
 * accept as JSON text (4 MiB of UTF-8, nesting 64 deep, 200,000 nodes, integers within
 * ±(2^53−1)), so every stored state can be read back, exported and replayed. Measured in what an
 * event changed: patches copy only the containers on their path, and the extents of the shared
 * rest are remembered.
 */

// Text JSON writes as it is: printable ASCII but for the quote and the backslash.
const PLAIN_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** UTF-8 bytes of `text`. */
export function textBytes(text: string): number {
  return PLAIN_TEXT.test(text) ? text.length : Buffer.byteLength(text, 'utf8');
}

/** UTF-8 bytes of `text` written as a JSON string (quotes and escapes included). */
export function stringBytes(text: string): number {
  return PLAIN_TEXT.test(text) ? text.length + 2 : Buffer.byteLength(JSON.stringify(text), 'utf8');
}

/** The loader's limits (src/model/load-yaml.ts): a stored state may be no more than a loaded one. */
const STATE_LIMITS = DEFAULT_LOAD_LIMITS;

/** Nodes, bytes of JSON and height of a subtree that is within the limits. */
interface Extent {
  nodes: number;
  bytes: number;
  height: number;
}

/** Why a subtree is beyond the limits, and where in it (a JSON pointer from the subtree). */
interface Excess {
  problem: string;
  at: string;
}

/**
 * Extents of containers already measured. Patches copy only the containers on their path and
 * share the rest, so the state after an event is measured in what it changed (plus the
 * containers above); the rest is found here. Only subtrees of some size are kept (a small one
 * is measured again sooner than it is looked up and kept: most are new in every event, as the
 * checkpoint's), never the document itself (new in every event), never one beyond the limits.
 */
const extents = new WeakMap<object, Extent>();
const KEPT_FROM_NODES = 16;

/**
 * Upper bounds of whole documents already checked. An event's change is bounded by its patches
 * (and the checkpoint marker it rewrites), so a document whose predecessor is known and whose
 * patches are small is checked in the size of its patches; the bound only grows (a `replace`
 * that shrinks is counted as growth), and once it nears a limit the document is measured again.
 */
const documents = new WeakMap<JsonObject, Extent>();
/** What rewriting the checkpoint marker may add at most, besides the patches. */
const CHECKPOINT_SLACK = { nodes: 64, bytes: 4096 };

/**
 * Rejects a state that `loadYaml` would refuse as JSON text: more than 4 MiB of UTF-8, nesting
 * deeper than 64, more than 200,000 nodes, or an integer beyond ±(2^53−1). `before` is the
 * state the event started from and `patches` what it applied.
 */
export function checkStateLimits(
  document: JsonObject,
  before: JsonObject,
  patches: readonly { path: string; val?: JsonValue }[],
): void {
  const bounded = boundedBy(documents.get(before), patches);
  if (bounded !== undefined) {
    documents.set(document, bounded);
    return;
  }
  const measured = measure(document, STATE_LIMITS.maxDepth, false);
  if ('problem' in measured) {
    throw new Rejection(
      'state_limit_exceeded',
      `the document would be more than a document may be: ${measured.problem}${measured.at === '' ? '' : ` (at ${measured.at})`}`,
    );
  }
  documents.set(document, measured);
}

/** A bound of the document after `patches`, if one within the limits follows from `previous`. */
function boundedBy(
  previous: Extent | undefined,
  patches: readonly { path: string; val?: JsonValue }[],
): Extent | undefined {
  if (previous === undefined) return undefined;
  let { nodes, bytes, height } = { ...previous };
  nodes += CHECKPOINT_SLACK.nodes;
  bytes += CHECKPOINT_SLACK.bytes;
  for (const patch of patches) {
    const depth = patch.path.split('/').length - 1;
    const value =
      patch.val === undefined ? undefined : measure(patch.val, STATE_LIMITS.maxDepth - depth);
    // An excess in a value (an unsafe integer, too deep) is for the full measure to report.
    if (value !== undefined && 'problem' in value) return undefined;
    nodes += depth + (value?.nodes ?? 0);
    bytes += textBytes(patch.path) + 8 + (value?.bytes ?? 0);
    height = Math.max(height, depth + (value?.height ?? 0));
  }
  const within =
    nodes <= STATE_LIMITS.maxNodes &&
    bytes <= STATE_LIMITS.maxBytes &&
    height <= STATE_LIMITS.maxDepth;
  return within ? { nodes, bytes, height } : undefined;
}

/** The extent of `value` with `depthLeft` levels allowed below it; the first excess found. */
function measure(value: JsonValue, depthLeft: number, keep = true): Extent | Excess {
  if (typeof value === 'string') return { nodes: 1, bytes: stringBytes(value), height: 0 };
  if (typeof value === 'number') {
    const text = String(value);
    // Written out without an exponent, an integer is read back as one, and must be safe.
    if (Number.isInteger(value) && !Number.isSafeInteger(value) && !text.includes('e'))
      return { problem: `the integer ${text} is beyond ±(2^53−1)`, at: '' };
    return { nodes: 1, bytes: text.length, height: 0 };
  }
  if (value === null || typeof value !== 'object') return { nodes: 1, bytes: 5, height: 0 };
  const known = extents.get(value);
  if (known !== undefined) {
    return known.height <= depthLeft
      ? known
      : { problem: `nested deeper than ${STATE_LIMITS.maxDepth} levels`, at: '' };
  }
  const list = Array.isArray(value);
  const keys = list ? undefined : Object.keys(value);
  const count = keys === undefined ? (value as JsonValue[]).length : keys.length;
  let nodes = 1;
  // The braces, and a comma between two members.
  let bytes = count === 0 ? 2 : count + 1;
  let height = 0;
  for (let index = 0; index < count; index += 1) {
    const key = keys === undefined ? undefined : (keys[index] as string);
    const child = key === undefined ? (value as JsonValue[])[index] : (value as JsonObject)[key];
    if (depthLeft < 1)
      return excessAt(`nested deeper than ${STATE_LIMITS.maxDepth} levels`, key, index, '');
    const inner = measure(child as JsonValue, depthLeft - 1);
    if ('problem' in inner) return excessAt(inner.problem, key, index, inner.at);
    nodes += inner.nodes;
    bytes += inner.bytes + (key === undefined ? 0 : stringBytes(key) + 1);
    if (inner.height >= height) height = inner.height + 1;
    if (nodes > STATE_LIMITS.maxNodes)
      return { problem: `more than ${STATE_LIMITS.maxNodes} nodes`, at: '' };
    if (bytes > STATE_LIMITS.maxBytes)
      return { problem: `more than ${STATE_LIMITS.maxBytes} bytes of JSON`, at: '' };
  }
  const extent: Extent = { nodes, bytes, height };
  if (keep && nodes >= KEPT_FROM_NODES) extents.set(value, extent);
  return extent;
}

/** An excess found in a member (`key` of a map, `index` of a list), as seen from its container. */
function excessAt(problem: string, key: string | undefined, index: number, at: string): Excess {
  return { problem, at: `/${key === undefined ? index : escapeSegment(key)}${at}` };
}
