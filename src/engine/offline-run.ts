import type { Problem } from '../errors/problem.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { processEvent } from '../processor/process-event.js';
import type {
  ProcessContext,
  ProcessorEvent,
  ProcessResult,
} from '../processor/processor-types.js';
import { bindParticipants } from '../processor/bind-participants.js';
import type { Participant } from '../processor/bind-participants.js';
import { documentBlueId } from '../types/document-id.js';
import type { TypeRegistry } from '../types/type-registry.js';

/** One processed event of an offline run. */
export interface OfflineStep {
  index: number;
  label: string;
  result: ProcessResult;
}

export interface OfflineRun {
  initialized: ProcessResult;
  steps: OfflineStep[];
  document: JsonObject;
  blueId: string;
}

/**
 * Offline timelines (the CLI, scenarios): a participant's timeline is named after its email
 * or account, else after its contract key; so `MyOS Account {email: shop@example.com}` listens
 * to the timeline `shop@example.com`.
 */
export function offlineTimeline(participant: Participant): string {
  return participant.email ?? participant.account ?? participant.key;
}

/**
 * Runs a document through a list of events in process, as `paydoc run` does: binds its
 * participants to offline timelines, initialises it, then feeds the events in order.
 */
export async function runOffline(
  document: JsonObject,
  events: readonly ProcessorEvent[],
  context: ProcessContext,
): Promise<OfflineRun> {
  const bound = bindParticipants(document, context.registry, offlineTimeline);
  const initialized = await processEvent(bound, { kind: 'initialize' }, context);
  let current = initialized.document;
  const steps: OfflineStep[] = [];
  for (const [index, event] of events.entries()) {
    const result = await processEvent(current, event, context);
    current = result.document;
    steps.push({ index: index + 1, label: describeEvent(event), result });
  }
  return {
    initialized,
    steps,
    document: current,
    blueId: documentBlueId(current, context.registry),
  };
}

function describeEvent(event: ProcessorEvent): string {
  switch (event.kind) {
    case 'timeline': {
      const timeline = event.entry.timeline;
      return `timeline ${isJsonObject(timeline) ? String(timeline.timelineId) : '?'}`;
    }
    case 'direct':
      return `channel ${event.channel}`;
    case 'timer':
      return `timer at ${event.timestamp}`;
    case 'initialize':
      return 'initialize';
  }
}

export type ParsedEvents =
  { ok: true; events: ProcessorEvent[] } | { ok: false; problems: Problem[] };

/**
 * Reads an events file: a list whose items are timeline entries (`{type: Timeline Entry,
 * timeline: {timelineId}, timestamp, message, sequence?}`), timer ticks (`{timer: <ms>}`) or
 * events for one channel without a timeline (`{channel: <key>, event: {…}}`).
 */
export function parseEvents(value: JsonValue, registry: TypeRegistry): ParsedEvents {
  const items = Array.isArray(value)
    ? value
    : isJsonObject(value) && Array.isArray(value.items)
      ? value.items
      : undefined;
  if (items === undefined)
    return {
      ok: false,
      problems: [{ code: 'invalid_node', message: 'the events file must be a list', pointer: '' }],
    };
  const entryType = registry.lookup('Conversation/Timeline Entry')?.id;
  const events: ProcessorEvent[] = [];
  const problems: Problem[] = [];
  items.forEach((item, index) => {
    const pointer = `/${index}`;
    if (!isJsonObject(item)) {
      problems.push({ code: 'invalid_node', message: `event ${index + 1} must be a map`, pointer });
    } else if (typeof item.timer === 'number') {
      events.push({ kind: 'timer', timestamp: item.timer });
    } else if (typeof item.channel === 'string' && isJsonObject(item.event)) {
      events.push({
        kind: 'direct',
        channel: item.channel,
        event: item.event,
        ...(typeof item.timestamp === 'number' ? { timestamp: item.timestamp } : {}),
      });
    } else if (
      item.type !== undefined &&
      entryType !== undefined &&
      registry.resolveRef(item.type) === entryType
    ) {
      events.push({ kind: 'timeline', entry: item });
    } else {
      problems.push({
        code: 'invalid_node',
        message: `event ${index + 1} must be a Timeline Entry, {timer: <ms>} or {channel, event}`,
        pointer,
      });
    }
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, events };
}
