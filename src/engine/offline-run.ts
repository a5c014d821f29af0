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
import type { TimelineContract } from '../processor/bind-participants.js';
import { documentBlueId } from '../types/document-id.js';
import type { PaymentBook } from './payment-desk.js';
import { PaymentDesk } from './payment-desk.js';
import { Conversation } from './conversation.js';
import { memoryTimelines } from './timeline-entry.js';
import type { TypeRegistry } from '../types/type-registry.js';
import { ownTypeAsBlueId } from '../types/own-types.js';
import { initializedDocumentId } from '../processor/markers.js';

/** What an offline run feeds a document: processor events, plus the simulated outside world. */
export type OfflineInput =
  | ProcessorEvent
  | { kind: 'network'; command: JsonObject; timestamp: number }
  | { kind: 'created'; timestamp: number };

/** One processed event of an offline run: an input, or a payment processor answer. */
export interface OfflineStep {
  /**
   * The input's number in the events file as the author wrote it (1-based); a processor
   * answer carries the number of the input it follows (0: the document's creation).
   */
  index: number;
  origin: 'input' | 'processor';
  label: string;
  result: ProcessResult;
}

export interface OfflineRun {
  initialized: ProcessResult;
  /** The document once created: initialised, and the processor's creation answers applied. */
  created: JsonObject;
  steps: OfflineStep[];
  /** Every answer of the payment processor, in order (Payment Authorized, Illegal Request, …). */
  answers: JsonObject[];
  book: PaymentBook;
  document: JsonObject;
  blueId: string;
}

/**
 * Offline timelines (the CLI, scenarios): a participant's timeline is named after its email
 * or account, else after its contract key; so `MyOS Account {email: shop@example.com}` listens
 * to the timeline `shop@example.com`.
 */
export function offlineTimeline(participant: TimelineContract): string {
  return participant.email ?? participant.account ?? participant.key;
}

/**
 * Runs a document through a list of inputs in process, as `paydoc run` does: binds its
 * participants to offline timelines (a document exported by the server is bound already, and
 * keeps its timelines), initialises it, then feeds the inputs in order. The payment processor
 * takes part through the server's own loop (conversation.ts): it authorises a card payment on
 * creation, executes what the document emits, and its answers are delivered back before the
 * next input, as entries stamped as the server stamps them, so the BlueIds are the server's.
 */
export async function runOffline(
  document: JsonObject,
  inputs: readonly OfflineInput[],
  context: ProcessContext,
): Promise<OfflineRun> {
  const desk = new PaymentDesk(context.registry);
  const bound = bindParticipants(document, context.registry, offlineTimeline);
  const createdAt = creationTime(inputs);
  const initialize: ProcessorEvent = { kind: 'initialize', timestamp: createdAt };
  const initialized = await processEvent(bound, initialize, context);
  const steps: OfflineStep[] = [];
  const answers: JsonObject[] = [];
  const documentId = initializedDocumentId(initialized.document);
  let inputNumber = 0;
  const talk = new Conversation(desk, {
    process: (current, event) => processEvent(current, event, context),
    append: memoryTimelines(context.registry),
    record: (step) => {
      if (step.answer === undefined) {
        if (step.event.kind !== 'initialize')
          steps.push({
            index: inputNumber,
            origin: 'input',
            label: describeEvent(step.event),
            result: step.result,
          });
        return;
      }
      answers.push(step.answer);
      steps.push({
        index: inputNumber,
        origin: 'processor',
        label: `paymentProcessor ← ${String(step.answer.type)}`,
        result: step.result,
      });
    },
  });
  let state = (await talk.created(initialized, initialize, documentId, createdAt)).state;
  const created = state.document;
  for (const [position, input] of inputs.entries()) {
    inputNumber = position + 1;
    if (input.kind === 'created') continue;
    state =
      input.kind === 'network'
        ? (await talk.network(state, input.command, documentId, input.timestamp)).state
        : (await talk.input(state, input, documentId, timeOf(input) ?? createdAt)).state;
  }
  return {
    initialized,
    created,
    steps,
    answers,
    book: state.book,
    document: state.document,
    blueId: documentBlueId(state.document, context.registry),
  };
}

/** When the document was created: `{created: ms}` if given, else the first input's time, else 0. */
function creationTime(inputs: readonly OfflineInput[]): number {
  for (const input of inputs) {
    if (input.kind === 'created') return input.timestamp;
    const at = input.kind === 'network' ? input.timestamp : timeOf(input);
    if (at !== undefined) return at;
  }
  return 0;
}

function timeOf(event: ProcessorEvent): number | undefined {
  switch (event.kind) {
    case 'timeline':
      return typeof event.entry.timestamp === 'number' ? event.entry.timestamp : undefined;
    case 'direct':
    case 'initialize':
      return event.timestamp;
    case 'timer':
      return event.timestamp;
  }
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
  { ok: true; events: OfflineInput[] } | { ok: false; problems: Problem[] };

/**
 * Reads an events file: a list whose items are timeline entries (`{type: Timeline Entry,
 * timeline: {timelineId}, timestamp, message, sequence?}`), timer ticks (`{timer: <ms>}`) or
 * events for one channel without a timeline (`{channel: <key>, event: {…}}`), the creation time
 * (`{created: <ms>}`, first) and the simulated card network (`{network: {type: Open Dispute |
 * Close Dispute, …}, timestamp}`).
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
  const events: OfflineInput[] = [];
  const problems: Problem[] = [];
  items.forEach((item, index) => {
    const pointer = `/${index}`;
    if (!isJsonObject(item)) {
      problems.push({ code: 'invalid_node', message: `event ${index + 1} must be a map`, pointer });
    } else if (typeof item.created === 'number') {
      events.push({ kind: 'created', timestamp: item.created });
    } else if (isJsonObject(item.network) && typeof item.timestamp === 'number') {
      events.push({ kind: 'network', command: item.network, timestamp: item.timestamp });
    } else if (typeof item.timer === 'number') {
      events.push({ kind: 'timer', timestamp: item.timer });
    } else if (typeof item.channel === 'string' && isJsonObject(item.event)) {
      events.push({
        kind: 'direct',
        channel: item.channel,
        event: item.event,
        ...(typeof item.timestamp === 'number' ? { timestamp: item.timestamp } : {}),
        // Who called (as the server records a REST API call): Actor Policy reads it.
        ...(isJsonObject(item.by) &&
        isJsonObject(item.by.actor) &&
        typeof item.by.source === 'string'
          ? { by: { actor: item.by.actor, source: item.by.source } }
          : {}),
      });
    } else if (
      item.type !== undefined &&
      entryType !== undefined &&
      registry.resolveRef(item.type) === entryType
    ) {
      // As the server records it: an own type by its BlueId (own-types.ts ownTypeAsBlueId).
      const message = isJsonObject(item.message)
        ? ownTypeAsBlueId(item.message, registry)
        : item.message;
      events.push({
        kind: 'timeline',
        entry: message === item.message ? item : { ...item, message: message as JsonValue },
      });
    } else {
      problems.push({
        code: 'invalid_node',
        message: `event ${index + 1} must be a Timeline Entry, {timer: <ms>}, {channel, event}, {created: <ms>} or {network: {…}, timestamp}`,
        pointer,
      });
    }
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, events };
}
