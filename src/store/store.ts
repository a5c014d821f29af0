import type {
  AccountRecord,
  ApiKeyInfo,
  CosignatureRecord,
  DocumentRecord,
  EntryRecord,
  IdempotencyRecord,
  OutboxRecord,
  OwnedTimeline,
  ParticipantKeyRecord,
  ResultRecord,
  TimelineRecord,
  SigningKeyRecord,
  TypeRecord,
  WriteBatch,
} from './store-records.js';

/**
 * The persistence port (DESIGN §9). Reads are plain lookups; every write goes through
 * {@link Store.commit}, one transaction, so an entry, the documents it reaches, their results,
 * idempotency keys and outbox rows become durable together or not at all. The methods are
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
  /** Documents whose next timer is due at or before `now`, earliest first. */
  dueTimers(now: number, limit: number): Promise<{ documentId: string; dueAt: number }[]>;
  /** The earliest pending timer of any document, if any. */
  nextTimerAt(): Promise<number | undefined>;

  idempotency(accountId: string, key: string): Promise<IdempotencyRecord | undefined>;
  /** Outbox rows with `id > after`, in order. */
  outbox(after: number, limit: number): Promise<OutboxRecord[]>;

  /**
   * Writes a batch in one durable transaction. Throws a PaydocError `store_conflict` (and
   * writes nothing) if a document's version or a timeline's head is no longer the expected one
   * or a row breaks a constraint, and `storage_unavailable` (writing nothing) when the database
   * cannot grow (disk full); the store keeps serving reads and takes writes again later.
   */
  commit(batch: WriteBatch): Promise<void>;
}
