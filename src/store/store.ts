import type {
  AccountRecord,
  ApiKeyInfo,
  CosignatureRecord,
  DeliveryAttemptRecord,
  DeliveryRecord,
  DeliveryShare,
  DocumentQuery,
  DocumentRecord,
  EntryRecord,
  IdempotencyRecord,
  OwnedTimeline,
  ParticipantKeyRecord,
  ResultRecord,
  TimelineRecord,
  SigningKeyRecord,
  StoredEvent,
  TestClockRecord,
  TypeRecord,
  WebhookEndpointRecord,
  WriteBatch,
} from './store-records.js';

/**
 * The persistence port (DESIGN §9). Reads are plain lookups; every write goes through
 * {@link Store.commit}, one transaction, so an entry, the documents it reaches, their results,
 * idempotency keys and webhook events become durable together or not at all. The methods are
 * async so that a networked adapter (PostgreSQL) fits the same port.
 */
export interface Store {
  /** Creates or upgrades the schema; safe to call on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  accountById(id: string): Promise<AccountRecord | undefined>;
  accountByEmail(email: string): Promise<AccountRecord | undefined>;
  /** The account of an active key; a revoked key finds nothing. */
  accountByKeyHash(keyHash: string): Promise<AccountRecord | undefined>;
  countAccounts(): Promise<number>;
  /** Accounts with `id > after` (all when omitted), ordered by id, at most `limit`. */
  accounts(after: string | undefined, limit: number): Promise<AccountRecord[]>;
  /** The account's keys, revoked ones included, oldest first (by createdAt, then id); no hashes. */
  apiKeys(accountId: string): Promise<ApiKeyInfo[]>;
  /** The timelines the account owns, ordered by id, each with the documents subscribed to it. */
  timelinesOf(accountId: string): Promise<OwnedTimeline[]>;

  /** Every signing key, retired ones included, oldest first (by createdAt, then keyId). */
  signingKeys(): Promise<SigningKeyRecord[]>;
  /** The participant keys the account registered, oldest first (by createdAt, then keyId). */
  participantKeys(accountId: string): Promise<ParticipantKeyRecord[]>;
  /** A registered participant key, whoever registered it. */
  participantKey(keyId: string): Promise<ParticipantKeyRecord | undefined>;
  /** The co-signatures of a timeline's checkpoint of one size, oldest first (then by keyId). */
  cosignatures(timelineId: string, size: number): Promise<CosignatureRecord[]>;
  /** The account's own types, in the order they were added (by position). */
  typesOf(accountId: string): Promise<TypeRecord[]>;

  timeline(id: string): Promise<TimelineRecord | undefined>;
  /** Entries with `sequence > after`, in order, at most `limit`. */
  entries(timelineId: string, after: number, limit: number): Promise<EntryRecord[]>;

  document(id: string): Promise<DocumentRecord | undefined>;
  documentIdByRef(ref: string): Promise<string | undefined>;
  /** The documents listening to a timeline, ordered by id (the order they process an entry in). */
  documentsOnTimeline(timelineId: string): Promise<string[]>;
  isParticipant(documentId: string, accountId: string): Promise<boolean>;
  /** The document's processed events in version order. */
  results(documentId: string): Promise<ResultRecord[]>;
  /** An account's own documents, newest first (created, then id), per `query`. */
  documentsOf(ownerId: string, query: DocumentQuery): Promise<DocumentRecord[]>;
  /**
   * Documents whose next timer is due at or before `now`, earliest first; only those of
   * `ownerId` when given (an account whose test clock runs ahead).
   */
  dueTimers(
    now: number,
    limit: number,
    ownerId?: string,
  ): Promise<{ documentId: string; dueAt: number }[]>;
  /** Every account's test clock (accounts that never advanced theirs have none). */
  testClocks(): Promise<TestClockRecord[]>;
  /** The earliest pending timer of any document, if any. */
  nextTimerAt(): Promise<number | undefined>;

  idempotency(accountId: string, key: string): Promise<IdempotencyRecord | undefined>;

  /**
   * The account's webhook events, newest first (by seq, descending), at most `limit`: only
   * those of `type` and of `documentId` when given, and only those with `seq < beforeSeq` when
   * given (the next page starts before the last seq of this one).
   */
  events(
    accountId: string,
    filter: { type?: string; documentId?: string; beforeSeq?: number; limit: number },
  ): Promise<StoredEvent[]>;
  event(id: string): Promise<StoredEvent | undefined>;
  /** Events of every account with `seq > afterSeq`, oldest first, at most `limit` (a dispatcher's feed). */
  eventsAfter(afterSeq: number, limit: number): Promise<StoredEvent[]>;
  /** The account's endpoints that are not deleted, oldest first (by createdAt, then id). */
  webhookEndpoints(accountId: string): Promise<WebhookEndpointRecord[]>;
  /** An endpoint by id, deleted or not, whoever owns it. */
  webhookEndpoint(id: string): Promise<WebhookEndpointRecord | undefined>;
  /** The deliveries of one event, oldest first (by createdAt, then id). */
  deliveriesOfEvent(eventId: string): Promise<DeliveryRecord[]>;
  delivery(id: string): Promise<DeliveryRecord | undefined>;
  /** A delivery's attempts in attempt order. */
  deliveryAttempts(deliveryId: string): Promise<DeliveryAttemptRecord[]>;
  /**
   * Claims up to `limit` pending deliveries that are due (`nextAttemptAt <= now`) and not held
   * (`leaseUntil` null or `< now`), earliest `nextAttemptAt` first (then by id): in one
   * transaction it sets their `leaseUntil` and returns them so updated. Two claimers on one
   * database (two servers) never both get a delivery while its lease holds; once the lease
   * has run out (a worker died mid-attempt) the delivery can be claimed again.
   *
   * The one write outside {@link Store.commit}: a claim is a lease, not an effect. It records
   * no outcome and changes no document; a claim whose worker dies mid-attempt only delays the
   * delivery until the lease runs out, and an attempt's outcome (with its delivery update,
   * which drops the lease) is committed as usual. A claim must also read and write in one
   * transaction, which a batch (writes only, guarded by expected versions) cannot express,
   * and a worker should not wait in a commit group behind unrelated requests.
   * Throws `storage_unavailable` (claiming nothing) when the database cannot take writes.
   */
  claimDueDeliveries(
    now: number,
    limit: number,
    leaseUntil: number,
    share?: DeliveryShare,
  ): Promise<DeliveryRecord[]>;
  /**
   * The earliest time a claim could get a pending delivery, for a worker's timer: over the
   * pending deliveries with a `nextAttemptAt`, the least of `nextAttemptAt`, or of
   * `leaseUntil + 1` when that is later (a lease holds through `leaseUntil`, see
   * {@link claimDueDeliveries}); undefined when none is pending.
   */
  nextDeliveryAt(): Promise<number | undefined>;

  /**
   * Writes a batch in one durable transaction. Throws a PaydocError `store_conflict` (and
   * writes nothing) if a document's version or a timeline's head is no longer the expected one
   * or a row breaks a constraint, and `storage_unavailable` (writing nothing) when the database
   * cannot grow (disk full); the store keeps serving reads and takes writes again later.
   */
  commit(batch: WriteBatch): Promise<void>;
}
