import type { JsonObject } from '../model/json.js';
import { entryBlueId } from '../types/document-id.js';
import type { TypeRegistry } from '../types/type-registry.js';

/**
 * A timeline entry as the server writes it, in one place: the server's append and the offline
 * runner's answers both stamp entries here, so an answer `paydoc run` or `paydoc verify` makes
 * is the server's entry byte for byte (and so has the server's BlueId).
 */

/** The payment processor's account: it owns the processor's timelines (paymentProcessor, proxies). */
export const PROCESSOR_ACCOUNT_ID = 'acct_processor';

/**
 * Who appended an entry and through what, as Actor Policy reads them: an account's key over
 * the HTTP API is a principal's API call; the payment processor answering a document is an
 * agent acting on a document's request.
 */
export interface Actor {
  actor: JsonObject;
  source: 'apiCall' | 'documentRequest';
}

export function principal(accountId: string): Actor {
  return { actor: { accountId, kind: 'principal' }, source: 'apiCall' };
}

export const PROCESSOR_ACTOR: Actor = {
  actor: { accountId: PROCESSOR_ACCOUNT_ID, kind: 'agent' },
  source: 'documentRequest',
};

/** A timeline's head: its last sequence (0 when empty) and that entry's BlueId. */
export interface TimelineHead {
  sequence: number;
  blueId: string | null;
}

export interface StampedEntry {
  sequence: number;
  blueId: string;
  entry: JsonObject;
}

/** The next entry of a timeline: sequence, prevEntry, timestamp, actor and source stamped. */
export function stampEntry(
  timelineId: string,
  head: TimelineHead,
  message: JsonObject,
  by: Actor,
  at: number,
  registry: TypeRegistry,
): StampedEntry {
  const sequence = head.sequence + 1;
  const entry: JsonObject = {
    type: 'Conversation/Timeline Entry',
    timeline: { timelineId },
    ...(head.blueId === null ? {} : { prevEntry: { blueId: head.blueId } }),
    message,
    timestamp: at,
    actor: by.actor,
    source: by.source,
    sequence,
  };
  return { sequence, blueId: entryBlueId(entry, registry), entry };
}

/**
 * Timelines kept in memory, as `paydoc run` and `paydoc verify` keep the processor's: each
 * message is stamped after the timeline's last entry, as the server would append it.
 */
export function memoryTimelines(
  registry: TypeRegistry,
  by: Actor = PROCESSOR_ACTOR,
): (timelineId: string, message: JsonObject, at: number) => Promise<StampedEntry> {
  const heads = new Map<string, TimelineHead>();
  return (timelineId, message, at) => {
    const stamped = stampEntry(
      timelineId,
      heads.get(timelineId) ?? { sequence: 0, blueId: null },
      message,
      by,
      at,
      registry,
    );
    heads.set(timelineId, { sequence: stamped.sequence, blueId: stamped.blueId });
    return Promise.resolve(stamped);
  };
}
