import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { blueId } from '../model/blue-id.js';
import { scalarOf } from '../model/node.js';
import { contractsOf } from '../processor/contracts.js';
import { scopeChannels } from '../processor/embedded-scopes.js';
import { knownTypes } from '../processor/known-types.js';
import { typeIdOf } from '../processor/event-pattern.js';
import { nextDeadline } from '../processor/pending-timers.js';
import { processEvent } from '../processor/process-event.js';
import { isRetryableRejection } from '../processor/rejection.js';
import type {
  ProcessContext,
  ProcessorEvent,
  ProcessResult,
} from '../processor/processor-types.js';
import { documentBlueId } from '../types/document-id.js';
import type { Store } from '../store/store.js';
import type {
  AccountRecord,
  DocumentRecord,
  EntryRecord,
  SigningKeyRecord,
  TypeRecord,
  WriteBatch,
} from '../store/store-records.js';
import { MAX_OWN_TYPES } from '../types/own-types.js';
import type { CommitQueueOptions, IdempotencyClaim, Job } from './commit-queue.js';
import { CommitQueue } from './commit-queue.js';
import type { Outcome, Reply, ServiceError } from './outcome.js';
import { failure } from './outcome.js';
import type { PaymentBook } from './payment-desk.js';
import { EMPTY_BOOK, invoiceOf } from './payment-desk.js';
import { currentKey, EntrySigner, newSigningKey } from './signing-keys.js';
import type { PreparedType, TypeSpace } from './type-spaces.js';
import { TypeSpaces } from './type-spaces.js';
import { defaultLibraryPackages } from '../types/load-library.js';
import type { PackageSource } from '../types/type-definition.js';
import type { DocumentValidator } from '../validation/document-validator.js';
import type { TypeRegistry } from '../types/type-registry.js';
import type { WorkingSet } from './working-set.js';
import { addAccount, OPERATOR_ACCOUNT } from './accounts.js';
import type { BindingContext } from './bind-document.js';
import { bindDocument } from './bind-document.js';
import { Conversation } from './conversation.js';
import { answerEventType } from './event-catalogue.js';
import { EventWriter, notificationEndpoint } from './webhook-events.js';
import type { Actor } from './timeline-entry.js';
import { PROCESSOR_ACCOUNT_ID, PROCESSOR_ACTOR, principal, stampEntry } from './timeline-entry.js';
import { initializedDocumentId } from '../processor/markers.js';

/** The account that owns the payment processor's timelines (paymentProcessor, proxies). */
export const PROCESSOR_ACCOUNT: AccountRecord = {
  id: PROCESSOR_ACCOUNT_ID,
  email: 'processor@paydoc.internal',
  timelineId: 'tl_processor',
  createdAt: 0,
};

/** Tries of an event whose sandbox failed for its own reasons (timeout, memory, unavailable). */
const INFRASTRUCTURE_ATTEMPTS = 3;
/** A timer that fired but is still pending (its handler was rejected) is retried after this. */
const TIMER_RETRY_MS = 60_000;

/** What one input did to one document, as the API reports it. */
export interface DocumentOutcome {
  documentId: string;
  version: number;
  blueId: string;
  status: JsonObject;
  emitted: JsonObject[];
  /** The payment processor's answers to what the document asked (Payment Captured, …). */
  answers: JsonObject[];
}

/** An appended entry and what it did to every document it reached. */
export interface AppendOutcome {
  entry: EntryRecord;
  results: DocumentOutcome[];
}

export interface CreateOutcome {
  created: boolean;
  document: DocumentRecord;
  results: DocumentOutcome[];
}

export interface OperationOutcome {
  documentId: string;
  operation: string;
  entry?: EntryRecord;
  results: DocumentOutcome[];
  document: JsonObject;
}

/** A type built ahead of its commit, on the account's types as they were (`baseKey`). */
export interface TypeAhead {
  baseKey: string;
  prepared: PreparedType;
}

function baseKeyOf(types: readonly TypeRecord[]): string {
  return types.map((type) => type.blueId).join(',');
}

export interface TypeOutcome {
  created: boolean;
  type: TypeRecord;
}

export interface NewAccount {
  account: AccountRecord;
  apiKey: string;
}

/** Options of {@link DocumentEngine}. */
export interface DocumentEngineOptions extends CommitQueueOptions {
  store: Store;
  context: ProcessContext;
  /**
   * The library packages `context.registry` was built from, to extend with accounts' own
   * types (default: the shipped library).
   */
  libraryPackages?: readonly PackageSource[];
  /** The edge's clock (ms since the epoch); tests pass their own. */
  clock?: () => number;
}

/** How a write's outcome becomes an HTTP reply (given by the HTTP layer: one mapping). */
export type Responder<T> = (outcome: Outcome<T>) => Reply;

/**
 * The application: it takes documents, entries, REST calls and timer ticks, runs them through
 * the processor and the payment desk, and persists everything through the Store, one group
 * commit at a time. Time and ids come from here (the edge); the processor stays pure.
 */
export class DocumentEngine {
  readonly store: Store;
  /** Signs every appended entry (set by start()). */
  private signer: EntrySigner | undefined;
  /** The library's and each account's types: a document is run in its owner's space. */
  readonly spaces: TypeSpaces;
  private readonly binding: BindingContext;
  private readonly queue: CommitQueue;
  /**
   * Test clocks: how far each account's time runs ahead of the server's (POST /test/clock).
   * Loaded at start, moved once a batch that sets one is durable; offsets only grow.
   */
  private readonly clockOffsets = new Map<string, number>();
  private readonly clock: () => number;

  constructor(options: DocumentEngineOptions) {
    this.store = options.store;
    this.spaces = new TypeSpaces(
      options.store,
      options.context,
      options.libraryPackages ?? defaultLibraryPackages(),
    );
    this.binding = {
      registry: options.context.registry,
      internalAccounts: new Set([PROCESSOR_ACCOUNT.id, OPERATOR_ACCOUNT.id]),
      processorAccountId: PROCESSOR_ACCOUNT.id,
      addAccount,
    };
    this.clock = options.clock ?? Date.now;
    this.queue = new CommitQueue(options.store, this.clock, options);
  }

  /** The server's time (ms since the epoch), from the edge's clock. */
  now(): number {
    return this.clock();
  }

  /** Makes sure the processor's own account exists (first start). */
  async start(): Promise<void> {
    for (const clock of await this.store.testClocks())
      this.clockOffsets.set(clock.accountId, clock.offsetMs);
    this.queue.onCommit((batch) => {
      for (const clock of batch.testClocks)
        this.clockOffsets.set(
          clock.accountId,
          Math.max(clock.offsetMs, this.clockOffsets.get(clock.accountId) ?? 0),
        );
    });
    await this.startSigning();
    if ((await this.store.accountById(PROCESSOR_ACCOUNT.id)) !== undefined) return;
    await this.queue.submit({
      work: (set, at) => {
        const account = { ...PROCESSOR_ACCOUNT, createdAt: at };
        set.addAccount(account);
        set.createTimeline(account.timelineId, account.id, at);
        return Promise.resolve({ ok: true, value: null });
      },
      respond: () => ({ statusCode: 200, body: null }),
    });
  }

  /**
   * The key entries are signed with: the newest stored one not retired, else a new one, made
   * and stored before any entry can be appended.
   */
  private async startSigning(): Promise<void> {
    let key = currentKey(await this.store.signingKeys());
    if (key === undefined) {
      await this.queue.submit({
        work: (set, at) => {
          key = newSigningKey(at);
          set.rows.signingKeys.push(key);
          return Promise.resolve({ ok: true, value: null });
        },
        respond: () => ({ statusCode: 200, body: null }),
      });
    }
    // submit resolves once the key is durable: nothing is signed with a key not stored.
    if (key !== undefined) this.signer = new EntrySigner(key);
  }

  /** Signs a checkpoint (a C2SP note) with the current key. */
  signNote(text: string): string {
    if (this.signer === undefined) throw new Error('the engine signs once started');
    return this.signer.signNote(text);
  }

  /**
   * A new signing key takes over (the operator's `POST /admin/signing-keys/rotate`); the one
   * before is retired and stays published for verification. Other servers on the same database
   * go on signing with the retired key until they restart: their signatures verify all the same.
   */
  async rotateSigningKey(
    respond: Responder<{ keyId: string; retired: string | null }>,
  ): Promise<Reply> {
    // The key of the job's last run (its work may run again), taken once it is durable.
    let rotated: SigningKeyRecord | undefined;
    const reply = await this.queue.submit({
      key: 'signing keys',
      work: async (set, at) => {
        const previous = currentKey(await this.store.signingKeys());
        rotated = newSigningKey(at);
        set.rows.signingKeys.push(rotated);
        if (previous !== undefined)
          set.rows.keyRetirements.push({ keyId: previous.keyId, retiredAt: at });
        return { ok: true, value: { keyId: rotated.keyId, retired: previous?.keyId ?? null } };
      },
      respond,
    });
    if (rotated !== undefined && reply.statusCode < 300) this.signer = new EntrySigner(rotated);
    return reply;
  }

  /**
   * Queues a write of another module (accounts and keys): its work runs in the next commit
   * group against that group's working set, and its reply is given once the group is durable.
   */
  write<T>(job: Job<T>): Promise<Reply> {
    return this.queue.submit(job);
  }

  /** Calls `listener` with every batch once it is durable (see CommitQueue.onCommit). */
  onCommit(listener: (batch: WriteBatch) => void): void {
    this.queue.onCommit(listener);
  }

  /** Stops taking writes once those queued are durable. */
  close(): Promise<void> {
    return this.queue.close();
  }

  /** Posts a document: binds participants, initialises it, lets the processor open its payment. */
  createDocument(
    accountId: string,
    document: JsonObject,
    respond: Responder<CreateOutcome>,
    idempotency?: IdempotencyClaim,
  ): Promise<Reply> {
    return this.queue.submit({
      respond,
      idempotency,
      // A poster's documents one after another (they may share its timelines and emails).
      key: `post ${accountId}`,
      lane: accountId,
      work: (set, at) => this.create(set, accountId, document, at),
    });
  }

  /** Appends an entry to a timeline as its owner, and processes every document listening to it. */
  appendEntry(
    accountId: string,
    timelineId: string,
    message: JsonObject,
    expected: { sequence?: number; prevEntry?: string },
    respond: Responder<AppendOutcome>,
    idempotency?: IdempotencyClaim,
  ): Promise<Reply> {
    return this.queue.submit({
      respond,
      idempotency,
      key: `timeline ${timelineId}`,
      lane: accountId,
      work: async (set, at): Promise<Outcome<AppendOutcome>> => {
        const timeline = await set.timeline(timelineId);
        // Another account's timeline reads exactly like one that does not exist.
        if (timeline === undefined || timeline.ownerId !== accountId)
          return failure('not_found', `no timeline ${timelineId}`, 'id');
        // The route checked the message in its sender's types (an own subtype of an answer
        // included); here, without another read of them, the library's answers are refused.
        const reserved = this.reservedMessage(message);
        if (reserved !== undefined) return { ok: false, error: reserved };
        if (expected.sequence !== undefined && expected.sequence !== timeline.headSequence + 1)
          return failure(
            'sequence_conflict',
            `the next sequence of ${timelineId} is ${timeline.headSequence + 1}, not ${expected.sequence}`,
            'sequence',
          );
        if (expected.prevEntry !== undefined && expected.prevEntry !== timeline.headBlueId)
          return failure(
            'sequence_conflict',
            `prevEntry is not the head of ${timelineId}`,
            'prevEntry',
          );
        const entry = await this.append(
          set,
          timelineId,
          message,
          principal(accountId),
          this.accountTime(accountId, at, set),
        );
        const results: DocumentOutcome[] = [];
        for (const documentId of await set.documentsOnTimeline(timelineId))
          results.push(await this.runInput(set, documentId, timelineEvent(entry), at));
        return { ok: true, value: { entry, results } };
      },
    });
  }

  /**
   * A call to a REST API channel route (`POST /api/charge/{chargeId}/capture`): finds the
   * document by the reference in the path, the operation its REST API channel declares for the
   * route, and delivers an Operation Request: recorded first on the channel's proxy timeline
   * when it has one (Smart Card Payment), else straight to the channel (Classic).
   */
  callOperation(
    accountId: string,
    ref: string,
    method: string,
    path: string,
    request: JsonObject,
    respond: Responder<OperationOutcome>,
    idempotency?: IdempotencyClaim,
  ): Promise<Reply> {
    return this.queue.submit({
      respond,
      idempotency,
      key: `ref ${ref}`,
      lane: accountId,
      work: (set, at) => this.operation(set, accountId, ref, method, path, request, at),
    });
  }

  /**
   * Adds an own type to an account (`POST /types`). Types are immutable: the same content again
   * is the type the account has (created false); another type under a name the account already
   * uses is refused (`type_exists`), as is one that does not build with the account's others.
   */
  addType(
    accountId: string,
    definition: JsonObject,
    respond: Responder<TypeOutcome>,
    idempotency?: IdempotencyClaim,
    ahead?: TypeAhead,
  ): Promise<Reply> {
    return this.queue.submit({
      respond,
      idempotency,
      key: `types ${accountId}`,
      lane: accountId,
      work: async (set, at): Promise<Outcome<TypeOutcome>> => {
        const existing = [
          ...(await this.store.typesOf(accountId)),
          ...set.rows.types.filter((type) => type.accountId === accountId),
        ];
        const name = typeof definition.name === 'string' ? definition.name : '';
        const sameName = existing.find((type) => type.name === name);
        const base = existing.filter((type) => type !== sameName);
        // Built ahead, in the poster's turn, unless another type came in meanwhile.
        const prepared =
          ahead !== undefined && ahead.baseKey === baseKeyOf(base)
            ? ahead.prepared
            : this.spaces.prepare(base, definition);
        if (!prepared.ok) {
          const first = prepared.problems[0];
          return {
            ok: false,
            error: {
              code: first?.code ?? 'invalid_node',
              message: first?.message ?? 'the type does not build',
              ...(first?.pointer === undefined ? {} : { param: first.pointer }),
              problems: prepared.problems,
            },
          };
        }
        if (sameName !== undefined) {
          if (sameName.blueId === prepared.blueId)
            return { ok: true, value: { created: false, type: sameName } };
          return failure(
            'type_exists',
            `this account's type ${name} is ${sameName.blueId}; types are immutable, so give a new version a new name`,
            '/name',
          );
        }
        if (existing.length >= MAX_OWN_TYPES)
          return failure('too_many_types', `an account holds at most ${MAX_OWN_TYPES} own types`);
        const record: TypeRecord = {
          accountId,
          blueId: prepared.blueId,
          name,
          position: existing.length,
          definition,
          createdAt: at,
        };
        set.rows.types.push(record);
        // Built already (in this order, as of() will rebuild it): the account's next request
        // finds it compiled. Should the commit fail, its key is not the stored set's.
        this.spaces.remember(accountId, prepared.space);
        return { ok: true, value: { created: true, type: record } };
      },
    });
  }

  /**
   * Builds what {@link addType} will store, ahead of the commit queue: the route calls it in the
   * poster's own turn, so the cost of building (a registry and a validator) is the poster's.
   */
  async prepareType(accountId: string, definition: JsonObject): Promise<TypeAhead> {
    const name = typeof definition.name === 'string' ? definition.name : '';
    const base = (await this.store.typesOf(accountId)).filter((type) => type.name !== name);
    return { baseKey: baseKeyOf(base), prepared: this.spaces.prepare(base, definition) };
  }

  /**
   * An account's time at the server's time `at`: `at` plus its test clock's offset (0 for an
   * account that never advanced it). Everything an account's documents do happens at their
   * owner's time: their processing, their timers, the processor's entries on their timelines;
   * an entry is stamped with the time of the account that appends it.
   */
  accountTime(accountId: string, at: number, set?: WorkingSet): number {
    return at + this.clockOffset(accountId, set);
  }

  /**
   * The account's test clock offset (0 when it has none): as committed, or as a write of the
   * request's commit group (`set`) moves it, so that what runs after an advance in the same
   * group runs at the later time.
   */
  clockOffset(accountId: string, set?: WorkingSet): number {
    return Math.max(this.clockOffsets.get(accountId) ?? 0, set?.pendingTestClock(accountId) ?? 0);
  }

  /** Is any document timer due now, at the server's time or at an account's test clock? */
  async timersDue(now: number): Promise<boolean> {
    const next = await this.store.nextTimerAt();
    if (next === undefined) return false;
    if (next <= now) return true;
    for (const [accountId, offset] of this.clockOffsets)
      if ((await this.store.dueTimers(now + offset, 1, accountId)).length > 0) return true;
    return false;
  }

  /**
   * Fires every document timer due at its owner's time (the server's, or the owner's test
   * clock); resolves with how many were due.
   */
  async fireDueTimers(limit = 100): Promise<number> {
    let fired = 0;
    await this.queue.submit({
      respond: () => ({ statusCode: 200, body: null }),
      key: 'timers',
      work: async (set, at) => {
        // A job's work may run again (its group's commit failed): count this run only.
        fired = 0;
        const due = [
          ...(await this.store.dueTimers(at, limit)),
          ...(
            await Promise.all(
              [...this.clockOffsets].map(([accountId, offset]) =>
                this.store.dueTimers(at + offset, limit, accountId),
              ),
            )
          ).flat(),
        ];
        const seen = new Set<string>();
        for (const { documentId } of due) {
          if (seen.has(documentId) || fired >= limit) continue;
          seen.add(documentId);
          if (await this.fireTimer(set, documentId, at)) fired += 1;
        }
        return { ok: true, value: fired };
      },
    });
    return fired;
  }

  /**
   * Fires a document's timer when it is due at its owner's time; false when it is not due
   * (any more).
   */
  async fireTimer(set: WorkingSet, documentId: string, at: number): Promise<boolean> {
    const record = await set.document(documentId);
    if (record === undefined || record.nextTimerAt === null) return false;
    const now = this.accountTime(record.ownerId, at, set);
    if (record.nextTimerAt > now) return false;
    await this.runInput(set, documentId, { kind: 'timer', timestamp: now }, at);
    return true;
  }

  /**
   * The outside world speaks to a document on one of its processor-managed channels (the
   * chain simulator on a Bitcoin Invoice's `bitcoinNetwork`): a direct event from the
   * processor, at the owner's time, and the processor's answers until the document is quiet.
   */
  deliverToChannel(
    set: WorkingSet,
    documentId: string,
    channel: string,
    event: JsonObject,
    at: number,
  ): Promise<DocumentOutcome> {
    return this.runInput(
      set,
      documentId,
      { kind: 'direct', channel, event, by: PROCESSOR_ACTOR },
      at,
    );
  }

  /** May the account read the document (its owner or a participant)? From what is committed. */
  canRead(document: DocumentRecord, accountId: string): Promise<boolean> {
    return mayRead(this.store, document, accountId);
  }

  /**
   * A message only the payment processor may say (an answer type: Payment Captured, …), as
   * the refusal a participant's append gets; the processor's own answers never pass here.
   */
  reservedMessage(
    message: JsonObject,
    registry: TypeRegistry = this.spaces.library.registry,
  ): ServiceError | undefined {
    const typeId = typeIdOf(message, registry);
    if (typeId === undefined || !registry.isSubtype(typeId, knownTypes(registry).processorAnswer))
      return undefined;
    return {
      code: 'reserved_event_type',
      message: `only the payment processor may say ${registry.nameOf(typeId) ?? typeId}; it does so on the document's paymentProcessor channel`,
      param: '/message/type',
    };
  }

  private async create(
    set: WorkingSet,
    accountId: string,
    document: JsonObject,
    serverAt: number,
  ): Promise<Outcome<CreateOutcome>> {
    // The poster's time (its test clock, if it moved one).
    const at = this.accountTime(accountId, serverAt, set);
    const space = await this.spaces.of(accountId);
    const { registry } = space;
    const binding = await bindDocument(
      set,
      { ...this.binding, registry },
      accountId,
      document,
      blueId(document),
      at,
    );
    if (!binding.ok) return binding;
    const bound = binding.value.document;
    const initialized = await this.process(space, bound, { kind: 'initialize', timestamp: at });
    if (initialized.status.kind === 'rejected')
      return failure(
        initialized.status.code,
        `the document could not be initialised: ${statusMessage(initialized)}`,
      );
    const documentId = initializedDocumentId(initialized.document);
    const existing = await set.document(documentId);
    if (existing !== undefined) {
      if (existing.ownerId !== accountId)
        return failure(
          'document_exists',
          'another account holds a document with exactly this content; make yours differ (an order id, say)',
        );
      return { ok: true, value: { created: false, document: existing, results: [] } };
    }
    const typeId = typeIdOf(bound, registry);
    const record: DocumentRecord = {
      id: documentId,
      ownerId: accountId,
      typeName: typeId === undefined ? null : (registry.nameOf(typeId) ?? typeId),
      genesis: bound,
      state: bound,
      blueId: '',
      version: 0,
      book: EMPTY_BOOK as unknown as JsonObject,
      nextTimerAt: null,
      createdAt: at,
      updatedAt: at,
    };
    set.putDocument(record);
    for (const id of binding.value.participants) set.addParticipant(documentId, id);
    // Embedded documents' timeline channels too: their entries reach the document as the root's do.
    for (const { channel } of scopeChannels(initialized.document, registry))
      if (channel.kind === 'timeline' && channel.timelineId !== undefined)
        set.subscribe(documentId, channel.timelineId);
    const { talk, cursor } = await this.conversation(set, space, record, at, serverAt);
    const settled = await talk.created(
      initialized,
      { kind: 'initialize', timestamp: at },
      documentId,
      at,
    );
    // A payment the processor refuses to open (an unsupported currency, a notificationURL that
    // is not https, …) is the poster's error, and nothing of it is kept; a card the network
    // declines is a payment that exists (the route answers 402 with it, as Stripe does). What
    // the document asks afterwards and is refused stays on record, as on any other input.
    const refusal = space.desk.openingRefusal(settled.opened ?? []);
    if (refusal !== undefined) return { ok: false, error: refusal };
    this.addRefs(set, cursor.head);
    return {
      ok: true,
      value: {
        created: true,
        document: cursor.head,
        results: [outcomeOf(cursor.head, initialized, settled.answers)],
      },
    };
  }

  private async operation(
    set: WorkingSet,
    accountId: string,
    ref: string,
    method: string,
    path: string,
    request: JsonObject,
    at: number,
  ): Promise<Outcome<OperationOutcome>> {
    const record = await set.document((await set.documentIdByRef(ref)) ?? ref);
    if (record === undefined || !(await mayRead(set, record, accountId)))
      return failure('not_found', `no document ${ref}`, 'path');
    if (record.ownerId !== accountId)
      return failure('forbidden', 'only the account that posted the payment may call its API');
    const route = this.routeOf(
      (await this.spaces.of(record.ownerId)).registry,
      record.state,
      method,
      path,
    );
    if (route === undefined)
      return failure(
        'no_api_access',
        `this ${record.typeName ?? 'document'} declares no REST API channel for ${method} ${path}`,
      );
    const message: JsonObject = {
      type: 'Conversation/Operation Request',
      operation: route.operation,
      request,
      ...(Object.keys(route.params).length === 0 ? {} : { params: { ...route.params } }),
    };
    if (route.timelineId !== undefined) {
      const entry = await this.append(
        set,
        route.timelineId,
        message,
        principal(accountId),
        this.accountTime(accountId, at, set),
      );
      const results: DocumentOutcome[] = [];
      for (const listener of await set.documentsOnTimeline(route.timelineId))
        results.push(await this.runInput(set, listener, timelineEvent(entry), at));
      const head = (await set.document(record.id)) ?? record;
      return {
        ok: true,
        value: {
          documentId: record.id,
          operation: route.operation,
          entry,
          results,
          document: head.state,
        },
      };
    }
    const result = await this.runInput(
      set,
      record.id,
      { kind: 'direct', channel: route.channel, event: message, by: principal(accountId) },
      at,
    );
    const head = (await set.document(record.id)) ?? record;
    return {
      ok: true,
      value: {
        documentId: record.id,
        operation: route.operation,
        results: [result],
        document: head.state,
      },
    };
  }

  /**
   * The operation a document's REST API channels (its type's, or its own) declare for
   * `method path` (path under /api…), with the path parameters bound:
   * `/api/charge/{chargeId}/capture` and `/api/charge/ch_1/capture` bind `chargeId: ch_1`.
   */
  private routeOf(
    registry: TypeRegistry,
    document: JsonObject,
    method: string,
    path: string,
  ): ApiRoute | undefined {
    const contracts = contractsOf(document, registry);
    const restType = contracts.known.restChannel;
    for (const channel of contracts.channels) {
      const typeId = typeIdOf(channel.node, registry);
      if (typeId === undefined || !registry.isSubtype(typeId, restType)) continue;
      const scheme = channel.node.endpointScheme;
      if (!isJsonObject(scheme)) continue;
      const base = String(scalarOf(scheme.basePath) ?? '');
      const paths = Array.isArray(scheme.paths)
        ? scheme.paths
        : isJsonObject(scheme.paths) && Array.isArray(scheme.paths.items)
          ? scheme.paths.items
          : [];
      for (const candidate of paths) {
        if (!isJsonObject(candidate)) continue;
        const declared = `${base}${String(scalarOf(candidate.path) ?? '')}`;
        const verb = String(scalarOf(candidate.method) ?? 'POST').toUpperCase();
        const operation = scalarOf(candidate.operation);
        if (verb !== method.toUpperCase() || typeof operation !== 'string') continue;
        const params = bindPath(declared, path);
        if (params === undefined) continue;
        const declaredOperation = contracts.operations.get(operation);
        return {
          channel: channel.key,
          operation,
          params,
          ...(declaredOperation?.request === undefined
            ? {}
            : { request: declaredOperation.request }),
          ...(channel.kind === 'timeline' && channel.timelineId !== undefined
            ? { timelineId: channel.timelineId }
            : {}),
        };
      }
    }
    return undefined;
  }

  /**
   * The route a REST API call (`POST /api/orders/or_1/debits`) names, from what is committed:
   * the document found by the first path segment that is one of its references (a charge,
   * invoice or order id), if the account may call it, and the operation its channels declare
   * for the path, with the declared request type and the owner's validator (the route checks
   * the body before the call is queued).
   */
  async apiRoute(
    accountId: string,
    method: string,
    path: string,
  ): Promise<Outcome<ApiRoute & { ref: string; validator: DocumentValidator }>> {
    const segments = path.split('/').filter((part) => part !== '' && part !== 'api');
    for (const ref of segments.slice(0, 8)) {
      // A reference (ch_…, inv_…, or_…), or the document's own id.
      const documentId = (await this.store.documentIdByRef(ref)) ?? ref;
      const record = documentId === undefined ? undefined : await this.store.document(documentId);
      if (record === undefined || !(await mayRead(this.store, record, accountId))) continue;
      if (record.ownerId !== accountId)
        return failure('forbidden', 'only the account that posted the payment may call its API');
      const space = await this.spaces.of(record.ownerId);
      const route = this.routeOf(space.registry, record.state, method, path);
      if (route === undefined)
        return failure(
          'no_api_access',
          `this ${record.typeName ?? 'document'} declares no REST API channel for ${method} ${path}`,
        );
      return { ok: true, value: { ...route, ref, validator: space.validator } };
    }
    return failure('not_found', `no document of yours is named in ${path}`, 'path');
  }

  /**
   * Processes an event, trying again when the sandbox failed for a reason of its own (a worker
   * killed or slow under load): such a rejection says nothing about the document, so it is
   * recorded only if it persists (and a replay takes it as recorded, see replayDocument).
   * What the document asked for is never tried again: a step that used all of its CPU time,
   * or an event over its budgets, is `budget_exceeded` (processEvent tells a timeout of a step
   * that ran its CPU time from one that waited for a CPU, by the CPU time the sandbox measured),
   * and a stack overflow is a `script_error`; isRetryableRejection says no to both.
   */
  private async process(
    space: TypeSpace,
    document: JsonObject,
    event: ProcessorEvent,
  ): Promise<ProcessResult> {
    let result = await processEvent(document, event, space.context);
    for (
      let attempt = 1;
      attempt < INFRASTRUCTURE_ATTEMPTS && isRetryableRejection(result.status);
      attempt++
    )
      result = await processEvent(document, event, space.context);
    return result;
  }

  /** Appends an entry, stamped as every entry is (stampEntry), and signs it. */
  private async append(
    set: WorkingSet,
    timelineId: string,
    message: JsonObject,
    by: Actor,
    at: number,
  ): Promise<EntryRecord> {
    const timeline = await set.timeline(timelineId);
    if (timeline === undefined) throw new Error(`timeline ${timelineId} vanished`);
    const stamped = stampEntry(
      timelineId,
      { sequence: timeline.headSequence, blueId: timeline.headBlueId },
      message,
      by,
      at,
      this.spaces.library.registry,
    );
    const { sequence, blueId: id } = stamped;
    set.putTimeline({ ...timeline, headSequence: sequence, headBlueId: id }, false);
    const signature = this.signer?.sign(timelineId, sequence, id);
    const record: EntryRecord = {
      timelineId,
      sequence,
      blueId: id,
      entry: stamped.entry,
      ...(signature === undefined ? {} : { signature }),
    };
    set.rows.entries.push(record);
    return record;
  }

  /**
   * One input for one document, then the processor's answers until it is quiet, at the
   * owner's time for the server's `at`. A direct event without a timestamp gets that time.
   */
  private async runInput(
    set: WorkingSet,
    documentId: string,
    event: ProcessorEvent,
    serverAt: number,
  ): Promise<DocumentOutcome> {
    const record = await set.document(documentId);
    if (record === undefined) throw new Error(`document ${documentId} vanished`);
    const at = this.accountTime(record.ownerId, serverAt, set);
    const input: ProcessorEvent =
      event.kind === 'direct' && event.timestamp === undefined
        ? { ...event, timestamp: at }
        : event;
    const space = await this.spaces.of(record.ownerId);
    const { talk, cursor } = await this.conversation(set, space, record, at, serverAt);
    const settled = await talk.input(
      { document: record.state, book: bookOf(record) },
      input,
      documentId,
      at,
    );
    const result = cursor.inputResult;
    if (result === undefined) throw new Error(`document ${documentId}: the input was not recorded`);
    return outcomeOf(cursor.head, result, settled.answers);
  }

  /**
   * The payment conversation on the server: events processed with retries (process), answers
   * appended to the processor's timeline, every step written (with its webhook events) to the working
   * set (a result row, the document's new head, its book).
   */
  private async conversation(
    set: WorkingSet,
    space: TypeSpace,
    record: DocumentRecord,
    at: number,
    serverAt: number,
  ): Promise<{ talk: Conversation; cursor: Cursor }> {
    const cursor: Cursor = { head: record };
    // The owner's endpoints as committed: one read per input, for the deliveries its events
    // get in the same commit.
    const events = new EventWriter(
      set,
      record.ownerId,
      await this.store.webhookEndpoints(record.ownerId),
      serverAt,
      await notificationEndpoint(this.store, record),
    );
    const talk = new Conversation(space.desk, {
      process: (document, event) => this.process(space, document, event),
      append: (timelineId, answer, when) =>
        this.append(set, timelineId, answer, PROCESSOR_ACTOR, when),
      record: (step) => {
        if (step.origin === 'input') cursor.inputResult ??= step.result;
        const next = this.record(set, space, cursor.head, step.event, step.result, step.origin, at);
        cursor.head = this.withBook(set, next, step.book);
        const document = cursor.head.state;
        if (step.event.kind === 'initialize' && step.result.status.kind !== 'rejected')
          events.add('document.created', record.id, { document }, at);
        const type = step.answer === undefined ? undefined : answerEventType(step.answer);
        if (type !== undefined && step.answer !== undefined)
          events.add(type, record.id, { event: step.answer, document }, at);
        // BitPay notifications, to the invoice's notificationURL (as BitPay sends them).
        for (const notification of step.notifications)
          events.notify(
            record.id,
            notification.url,
            notification.body as unknown as JsonObject,
            at,
          );
        if (step.result.status.kind === 'terminated')
          events.add(
            'document.terminated',
            record.id,
            { status: step.result.status as unknown as JsonObject, document },
            at,
          );
      },
    });
    return { talk, cursor };
  }

  /** Writes a processed event: the result row, and the document's new head. */
  private record(
    set: WorkingSet,
    space: TypeSpace,
    record: DocumentRecord,
    event: ProcessorEvent,
    result: ProcessResult,
    origin: 'input' | 'processor',
    at: number,
  ): DocumentRecord {
    const version = record.version + 1;
    const changed = result.document !== record.state || record.blueId === '';
    const id = changed ? documentBlueId(result.document, space.registry) : record.blueId;
    set.rows.results.push({
      documentId: record.id,
      version,
      event: event as unknown as JsonObject,
      origin,
      entryBlueId: event.kind === 'timeline' ? (event.entryId ?? null) : null,
      status: result.status as unknown as JsonObject,
      patches: result.patches as unknown as JsonValue[],
      emitted: result.emitted as JsonObject[],
      blueId: id,
      at,
    });
    const next: DocumentRecord = {
      ...record,
      state: result.document,
      blueId: id,
      version,
      nextTimerAt: this.timerAfter(space.registry, result.document, at),
      updatedAt: at,
    };
    set.putDocument(next);
    return next;
  }

  private withBook(set: WorkingSet, record: DocumentRecord, book: PaymentBook): DocumentRecord {
    if (book === bookOf(record)) return record;
    const next = { ...record, book: book as unknown as JsonObject };
    set.putDocument(next);
    return next;
  }

  /** Other names of the document: its charge, invoice or order id (the API routes use them). */
  private addRefs(set: WorkingSet, record: DocumentRecord): void {
    for (const chargeId of Object.keys(bookOf(record).charges)) set.addRef(chargeId, record.id);
    const invoice = invoiceOf(record);
    if (invoice !== undefined) {
      set.addRef(invoice.invoiceId, record.id);
      // The chain simulator finds the invoice a payment is for by its address.
      set.addRef(invoice.address, record.id);
    }
  }

  private timerAfter(registry: TypeRegistry, document: JsonObject, at: number): number | null {
    const next = nextDeadline(document, contractsOf(document, registry));
    if (next === undefined) return null;
    return next <= at ? at + TIMER_RETRY_MS : next;
  }
}

/** A document's head as the conversation writes it, and its input's result. */
interface Cursor {
  head: DocumentRecord;
  inputResult?: ProcessResult;
}

/** The owner and the participants may read a document (the store, or a request's working set). */
async function mayRead(
  source: Pick<Store, 'isParticipant'>,
  document: DocumentRecord,
  accountId: string,
): Promise<boolean> {
  return document.ownerId === accountId || (await source.isParticipant(document.id, accountId));
}

function timelineEvent(entry: EntryRecord): ProcessorEvent {
  return { kind: 'timeline', entry: entry.entry, entryId: entry.blueId };
}

function bookOf(record: DocumentRecord): PaymentBook {
  return record.book as unknown as PaymentBook;
}

function statusMessage(result: ProcessResult): string {
  const status = result.status;
  return status.kind === 'ok' ? 'ok' : status.reason;
}

function outcomeOf(
  head: DocumentRecord,
  result: ProcessResult,
  answers: JsonObject[],
): DocumentOutcome {
  return {
    documentId: head.id,
    version: head.version,
    blueId: head.blueId,
    status: result.status as unknown as JsonObject,
    emitted: result.emitted as JsonObject[],
    answers,
  };
}

/**
 * The path parameters `actual` binds in `declared` (`/api/charge/{chargeId}/capture` and
 * `/api/charge/ch_1/capture` → `{chargeId: 'ch_1'}`), or undefined when it does not match.
 * Names are data: the map has no prototype.
 */
function bindPath(declared: string, actual: string): Record<string, string> | undefined {
  const want = declared.split('/');
  const got = actual.split('/');
  if (want.length !== got.length) return undefined;
  const params = Object.create(null) as Record<string, string>;
  for (const [index, part] of want.entries()) {
    const value = got[index] ?? '';
    if (part.startsWith('{') && part.endsWith('}') && part.length > 2) {
      if (value === '') return undefined;
      params[part.slice(1, -1)] = decodeSegment(value);
    } else if (part !== value) return undefined;
  }
  return params;
}

function decodeSegment(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A REST API route a document declares, bound to a call. */
export interface ApiRoute {
  channel: string;
  operation: string;
  params: Record<string, string>;
  /** The Operation's declared request (a node), when it declares one. */
  request?: JsonValue;
  timelineId?: string;
}
