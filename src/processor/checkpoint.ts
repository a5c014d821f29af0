import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject, ownValue } from '../model/json.js';

/** What a channel's checkpoint keeps of the last entry it accepted. */
export interface CheckpointRecord {
  sequence?: number;
  timestamp?: number;
  blueId: string;
}

/** The record for an incoming timeline entry, under its BlueId (entryBlueId). */
export function recordOf(entry: JsonObject, entryId: string): CheckpointRecord {
  const sequence = entry.sequence;
  const timestamp = entry.timestamp;
  return {
    ...(typeof sequence === 'number' ? { sequence } : {}),
    ...(typeof timestamp === 'number' ? { timestamp } : {}),
    blueId: entryId,
  };
}

/**
 * Is `incoming` newer than the channel's last accepted entry? A sequence at or below the
 * checkpoint's is not; without sequences, an older timestamp or the same BlueId is not.
 * Unlike blue-js (which only compares with the last entry's id), an older duplicate can never
 * be applied again.
 */
export function isNewer(incoming: CheckpointRecord, last: CheckpointRecord | undefined): boolean {
  if (last === undefined) return true;
  if (incoming.blueId === last.blueId) return false;
  if (incoming.sequence !== undefined && last.sequence !== undefined)
    return incoming.sequence > last.sequence;
  if (incoming.timestamp !== undefined && last.timestamp !== undefined)
    return incoming.timestamp >= last.timestamp;
  return true;
}

/** The channel's last record from the document's checkpoint marker. */
export function lastRecord(document: JsonObject, channelKey: string): CheckpointRecord | undefined {
  const events = lastEvents(document);
  const record = events === undefined ? undefined : ownValue(events, channelKey);
  if (!isJsonObject(record) || typeof record.blueId !== 'string') return undefined;
  return record as unknown as CheckpointRecord;
}

function lastEvents(document: JsonObject): JsonObject | undefined {
  const contracts = document.contracts;
  if (!isJsonObject(contracts) || !isJsonObject(contracts.checkpoint)) return undefined;
  const events = contracts.checkpoint.lastEvents;
  return isJsonObject(events) ? events : undefined;
}

/** A copy of the document with the channel's checkpoint set to `record`. */
export function withCheckpoint(
  document: JsonObject,
  channelKey: string,
  record: JsonValue,
): JsonObject {
  const contracts = isJsonObject(document.contracts) ? document.contracts : {};
  const checkpoint = isJsonObject(contracts.checkpoint) ? contracts.checkpoint : {};
  return {
    ...document,
    contracts: {
      ...contracts,
      checkpoint: {
        type: 'Core/Channel Event Checkpoint',
        ...checkpoint,
        lastEvents: { ...(lastEvents(document) ?? {}), [channelKey]: record },
      },
    },
  };
}
