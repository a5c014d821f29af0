import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { readAuthorView } from '../model/read-author-view.js';
import type { CheckpointRecord } from './checkpoint.js';
import { isNewer, lastRecord } from './checkpoint.js';
import type { ChannelInfo, ContractSet } from './contracts.js';
import { contractsOf } from './contracts.js';
import { scopeDocument } from './embedded-scopes.js';

/** A Timer channel whose deadline has not fired yet. */
export interface PendingTimer {
  channel: ChannelInfo;
  deadline: number;
  record: CheckpointRecord;
}

/**
 * The document's Timer channels that still have a deadline to fire: the watched value is an
 * integer (ms since the epoch) newer than the channel's checkpoint. The processor fires those
 * due at an event's time; the service's scheduler asks for the earliest to know when to wake.
 */
export function pendingTimers(document: JsonObject, contracts: ContractSet): PendingTimer[] {
  const pending: PendingTimer[] = [];
  for (const channel of contracts.channels) {
    if (channel.kind !== 'timer' || channel.path === undefined) continue;
    const deadline = timerDeadline(document, channel.path);
    if (typeof deadline !== 'number' || !Number.isInteger(deadline)) continue;
    const record: CheckpointRecord = {
      timestamp: deadline,
      blueId: `timer:${channel.path}:${deadline}`,
    };
    if (!isNewer(record, lastRecord(document, channel.key))) continue;
    pending.push({ channel, deadline, record });
  }
  return pending;
}

/**
 * The earliest pending deadline, if any: the document's own and its embedded children's (a
 * terminated child has none), each read from the child's own root.
 */
export function nextDeadline(document: JsonObject, contracts: ContractSet): number | undefined {
  let next: number | undefined;
  for (const timer of pendingTimers(document, contracts))
    if (next === undefined || timer.deadline < next) next = timer.deadline;
  for (const path of contracts.embedded) {
    const child = scopeDocument(document, path);
    if (child === undefined || isTerminated(child)) continue;
    const deadline = nextDeadline(child, contractsOf(child, contracts.registry));
    if (deadline !== undefined && (next === undefined || deadline < next)) next = deadline;
  }
  return next;
}

function isTerminated(document: JsonObject): boolean {
  const contracts = document.contracts;
  return isJsonObject(contracts) && contracts.terminated !== undefined;
}

/** The deadline a Timer channel watches; a malformed path or a non-number means no timer. */
function timerDeadline(document: JsonObject, path: string): JsonValue | undefined {
  try {
    return readAuthorView(document, path);
  } catch {
    return undefined;
  }
}
