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
import { EMPTY_BOOK, PaymentDesk } from './payment-desk.js';
import type { TypeRegistry } from '../types/type-registry.js';
import { ownTypeAsBlueId } from '../types/own-types.js';

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

/** Answers delivered for one input, at most (a guard against a document and processor ping-ponging). */
const MAX_ANSWERS_PER_INPUT = 64;

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
 * participants to offline timelines, initialises it, then feeds the inputs in order. The
 * payment processor takes part: it authorises a card payment on creation, executes what the
 * document emits, and its answers are delivered back to the document before the next input.
 */
export async function runOffline(
  document: JsonObject,
  inputs: readonly OfflineInput[],
  context: ProcessContext,
): Promise<OfflineRun> {
  const desk = new PaymentDesk(context.registry);
  const bound = bindParticipants(document, context.registry, offlineTimeline);
  const initialized = await processEvent(bound, { kind: 'initialize' }, context);
  const run = { current: initialized.document, book: EMPTY_BOOK, sequence: 0 };
  const steps: OfflineStep[] = [];
  const answers: JsonObject[] = [];
  const documentId = documentIdOf(initialized.document);
  let inputNumber = 0;

  const settle = async (
    first: JsonObject[],
    emitted: readonly JsonObject[],
    at: number,
  ): Promise<void> => {
    const queue = [...first];
    const afterEmit = desk.onEmitted(run.book, run.current, documentId, emitted, at);
    run.book = afterEmit.book;
    queue.push(...afterEmit.answers);
    let delivered = 0;
    while (queue.length > 0 && delivered < MAX_ANSWERS_PER_INPUT) {
      const answer = queue.shift() as JsonObject;
      delivered += 1;
      answers.push(answer);
      run.sequence += 1;
      const result = await processEvent(
        run.current,
        desk.deliveryOf(run.current, answer, at, run.sequence),
        context,
      );
      steps.push({
        index: inputNumber,
        origin: 'processor',
        label: `paymentProcessor ← ${String(answer.type)}`,
        result,
      });
      run.current = result.document;
      const next = desk.onEmitted(run.book, run.current, documentId, result.emitted, at);
      run.book = next.book;
      queue.push(...next.answers);
    }
  };

  const createdAt = creationTime(inputs);
  if (initialized.status.kind === 'ok') {
    const created = desk.onCreated(run.book, run.current, documentId, createdAt);
    run.book = created.book;
    await settle(created.answers, initialized.emitted, createdAt);
  }
  const afterCreation = run.current;
  for (const [position, input] of inputs.entries()) {
    inputNumber = position + 1;
    if (input.kind === 'created') continue;
    if (input.kind === 'network') {
      const answered = desk.onNetwork(run.book, documentId, input.command, input.timestamp);
      run.book = answered.book;
      await settle(answered.answers, [], input.timestamp);
      continue;
    }
    const result = await processEvent(run.current, input, context);
    steps.push({ index: inputNumber, origin: 'input', label: describeEvent(input), result });
    run.current = result.document;
    await settle([], result.emitted, timeOf(input) ?? createdAt);
  }
  return {
    initialized,
    created: afterCreation,
    steps,
    answers,
    book: run.book,
    document: run.current,
    blueId: documentBlueId(run.current, context.registry),
  };
}

function documentIdOf(document: JsonObject): string {
  const contracts = document.contracts;
  const marker = isJsonObject(contracts) ? contracts.initialized : undefined;
  return isJsonObject(marker) && typeof marker.documentId === 'string' ? marker.documentId : '';
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
