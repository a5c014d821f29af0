import type { JsonObject } from '../model/json.js';
import type { InvoiceNotification } from '../payments/bitcoin/invoice-types.js';
import type { ProcessorEvent, ProcessResult } from '../processor/processor-types.js';
import type { PaymentBook, PaymentDesk } from './payment-desk.js';
import { EMPTY_BOOK } from './payment-desk.js';
import type { StampedEntry } from './timeline-entry.js';

/**
 * The payment conversation, once: a document and the payment processor talk until the
 * document is quiet. An input is processed; the processor executes what the document emitted
 * (Capture Payment, Debit Order, …) against its book; each answer is delivered back to the
 * document, whose reaction may ask for more. The server (document-engine.ts), `paydoc run`
 * and `paydoc verify` (offline-run.ts) all run this loop; they differ only in their edge: how
 * an event is processed (the server retries a sandbox that failed for its own reasons, a
 * verification replays what was recorded), where an answer's entry is appended (the store, or
 * a timeline kept in memory) and where each step is written.
 *
 * Invariants: answers are delivered in the order the processor gave them, breadth first, at
 * most {@link MAX_ANSWERS_PER_INPUT} per input (a document and the processor could ping-pong
 * forever); every answer of one input carries that input's time; the book only changes
 * through the desk.
 */

/** Answers delivered for one input, at most. */
export const MAX_ANSWERS_PER_INPUT = 64;

/** A document and the processor's records of it. */
export interface ConversationState {
  document: JsonObject;
  book: PaymentBook;
}

/** One processed event: an input, or an answer of the payment processor. */
export interface ConversationStep {
  origin: 'input' | 'processor';
  event: ProcessorEvent;
  result: ProcessResult;
  /** The book once the processor executed what the event made the document emit. */
  book: PaymentBook;
  /** BitPay notifications that step made due (they leave the book here). */
  notifications: readonly InvoiceNotification[];
  /** The answer delivered (processor steps). */
  answer?: JsonObject;
}

/** Where the conversation takes place. */
export interface ConversationEdge {
  process(document: JsonObject, event: ProcessorEvent): Promise<ProcessResult>;
  /** Appends an answer to the document's paymentProcessor timeline. */
  append(timelineId: string, answer: JsonObject, at: number): Promise<StampedEntry>;
  /** Writes a processed step (the server: a result row and the document's new head). */
  record(step: ConversationStep): void;
}

/** What one input did: the step of the input itself, and every answer delivered after it. */
export interface Settled {
  state: ConversationState;
  answers: JsonObject[];
  /** At creation: what opening the payment answered (an authorisation, a refusal). */
  opened?: JsonObject[];
}

export class Conversation {
  constructor(
    private readonly desk: PaymentDesk,
    private readonly edge: ConversationEdge,
  ) {}

  /**
   * A document just initialised (`initialized` is that step's result, processed by the caller,
   * which decides what a refused initialisation means): the processor opens its payment
   * (authorises a card, opens an order or an invoice) and executes what initialising emitted.
   */
  async created(
    initialized: ProcessResult,
    event: ProcessorEvent,
    documentId: string,
    at: number,
  ): Promise<Settled> {
    const document = initialized.document;
    let book: PaymentBook = EMPTY_BOOK;
    let answers: JsonObject[] = [];
    let opening: JsonObject[] = [];
    // As the server has always done: a document that initialised (even one that terminated
    // doing so) has its payment opened and what it emitted executed; a refused one has not.
    if (initialized.status.kind !== 'rejected') {
      const opened = this.desk.onCreated(book, document, documentId, at);
      const emitted = this.desk.onEmitted(
        opened.book,
        document,
        documentId,
        initialized.emitted,
        at,
      );
      book = emitted.book;
      opening = opened.answers;
      answers = [...opened.answers, ...emitted.answers];
    }
    const state = this.step('input', event, initialized, book);
    return { ...(await this.settle(state, documentId, answers, at)), opened: opening };
  }

  /** An input (an entry, a timer, a direct call) and the answers it leads to. */
  async input(
    state: ConversationState,
    event: ProcessorEvent,
    documentId: string,
    at: number,
  ): Promise<Settled> {
    const result = await this.edge.process(state.document, event);
    const emitted = this.desk.onEmitted(
      state.book,
      result.document,
      documentId,
      result.emitted,
      at,
    );
    const after = this.step('input', event, result, emitted.book);
    return this.settle(after, documentId, emitted.answers, at);
  }

  /** The simulated card network speaks (a dispute opens or closes): its answers are delivered. */
  async network(
    state: ConversationState,
    command: JsonObject,
    documentId: string,
    at: number,
  ): Promise<Settled> {
    const answered = this.desk.onNetwork(state.book, documentId, command, at);
    return this.settle({ ...state, book: answered.book }, documentId, answered.answers, at);
  }

  private async settle(
    start: ConversationState,
    documentId: string,
    first: readonly JsonObject[],
    at: number,
  ): Promise<Settled> {
    let state = start;
    const queue = [...first];
    const delivered: JsonObject[] = [];
    while (queue.length > 0 && delivered.length < MAX_ANSWERS_PER_INPUT) {
      const answer = queue.shift() as JsonObject;
      delivered.push(answer);
      const event = await this.deliveryOf(state.document, answer, at);
      const result = await this.edge.process(state.document, event);
      const next = this.desk.onEmitted(state.book, result.document, documentId, result.emitted, at);
      state = this.step('processor', event, result, next.book, answer);
      queue.push(...next.answers);
    }
    return { state, answers: delivered };
  }

  /**
   * How an answer reaches the document: an entry on its paymentProcessor timeline when that
   * channel is a timeline (Smart Card Payment), else a direct event (Classic: Internal Logic).
   */
  private async deliveryOf(
    document: JsonObject,
    answer: JsonObject,
    at: number,
  ): Promise<ProcessorEvent> {
    const timelineId = this.desk.answerTimeline(document);
    if (timelineId === undefined)
      return { kind: 'direct', channel: 'paymentProcessor', event: answer, timestamp: at };
    const entry = await this.edge.append(timelineId, answer, at);
    return { kind: 'timeline', entry: entry.entry, entryId: entry.blueId };
  }

  private step(
    origin: 'input' | 'processor',
    event: ProcessorEvent,
    result: ProcessResult,
    book: PaymentBook,
    answer?: JsonObject,
  ): ConversationState {
    const notifications = book.notifications;
    const kept = notifications.length === 0 ? book : { ...book, notifications: [] };
    this.edge.record({
      origin,
      event,
      result,
      book: kept,
      notifications,
      ...(answer === undefined ? {} : { answer }),
    });
    return { document: result.document, book: kept };
  }
}
