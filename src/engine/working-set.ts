import type { Store } from '../store/store.js';
import type {
  AccountRecord,
  ApiKeyInfo,
  ApiKeyRecord,
  DocumentRecord,
  IdempotencyRecord,
  KeyRevocation,
  TimelineRecord,
  WriteBatch,
} from '../store/store-records.js';
import { emptyBatch } from '../store/store-records.js';

/**
 * Committed document and timeline heads, kept between commit groups so that a busy document
 * is not read and parsed from the store for every request. Only valid while every write goes
 * through one CommitQueue (one server process per SQLite file); bounded, cleared on failure.
 */
export class HeadCache {
  readonly documents = new Map<string, DocumentRecord>();
  readonly timelines = new Map<string, TimelineRecord>();

  constructor(private readonly limit = 10_000) {}

  putDocument(record: DocumentRecord): void {
    remember(this.documents, record.id, record, this.limit);
  }

  putTimeline(record: TimelineRecord): void {
    remember(this.timelines, record.id, record, this.limit);
  }

  clear(): void {
    this.documents.clear();
    this.timelines.clear();
  }
}

/** Insertion-ordered map as a small LRU: a hit moves to the end, the oldest leaves first. */
function remember<T>(map: Map<string, T>, key: string, value: T, limit: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > limit) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

/**
 * Reads through to the store and keeps writes in memory until they are committed. The
 * engine opens one root set per commit group and a child set per request: a request that
 * fails is dropped with its child, one that succeeds is merged into the root, and the root
 * becomes one {@link WriteBatch}. Requests later in a group see the earlier ones' writes.
 */
export class WorkingSet {
  private readonly documents = new Map<string, DocumentRecord>();
  private readonly timelines = new Map<string, TimelineRecord>();
  private readonly accountsByEmail = new Map<string, AccountRecord>();
  private readonly accountsById = new Map<string, AccountRecord>();
  private readonly subscriptions = new Map<string, Set<string>>();
  private readonly refs = new Map<string, string>();
  private readonly participants = new Set<string>();
  private readonly keys = new Map<string, IdempotencyRecord>();
  /** What the store held when first read (root only): the guards of the final commit. */
  private readonly baseVersions = new Map<string, number>();
  private readonly baseSequences = new Map<string, number>();
  /** Insert-only rows (entries, results, …); documents and timeline heads are collapsed at the end. */
  readonly rows: WriteBatch = emptyBatch();

  constructor(
    private readonly store: Store,
    private readonly parent?: WorkingSet,
    private readonly cache?: HeadCache,
  ) {}

  /** A child set for one request. */
  fork(): WorkingSet {
    return new WorkingSet(this.store, this);
  }

  async document(id: string): Promise<DocumentRecord | undefined> {
    const own = this.documents.get(id);
    if (own !== undefined) return own;
    if (this.parent !== undefined) return this.parent.document(id);
    const stored = this.cache?.documents.get(id) ?? (await this.store.document(id));
    if (stored !== undefined && !this.baseVersions.has(id)) {
      this.baseVersions.set(id, stored.version);
      this.documents.set(id, stored);
    }
    return stored;
  }

  putDocument(record: DocumentRecord): void {
    this.documents.set(record.id, record);
  }

  async timeline(id: string): Promise<TimelineRecord | undefined> {
    const own = this.timelines.get(id);
    if (own !== undefined) return own;
    if (this.parent !== undefined) return this.parent.timeline(id);
    const stored = this.cache?.timelines.get(id) ?? (await this.store.timeline(id));
    if (stored !== undefined && !this.baseSequences.has(id)) {
      this.baseSequences.set(id, stored.headSequence);
      this.timelines.set(id, stored);
    }
    return stored;
  }

  putTimeline(record: TimelineRecord, created: boolean): void {
    this.timelines.set(record.id, record);
    if (created) this.rows.timelines.push(record);
  }

  /** A new, empty timeline. */
  createTimeline(id: string, ownerId: string, at: number): void {
    this.putTimeline({ id, ownerId, headSequence: 0, headBlueId: null, createdAt: at }, true);
  }

  async accountByEmail(email: string): Promise<AccountRecord | undefined> {
    return (
      this.accountsByEmail.get(email) ??
      (this.parent !== undefined
        ? this.parent.accountByEmail(email)
        : this.store.accountByEmail(email))
    );
  }

  async accountById(id: string): Promise<AccountRecord | undefined> {
    return (
      this.accountsById.get(id) ??
      (this.parent !== undefined ? this.parent.accountById(id) : this.store.accountById(id))
    );
  }

  addAccount(account: AccountRecord): void {
    this.accountsByEmail.set(account.email, account);
    this.accountsById.set(account.id, account);
    this.rows.accounts.push(account);
  }

  /**
   * The account's keys as this set sees them: the store's, those created in this set or its
   * parents, and their revocations. Never hashes.
   */
  async apiKeys(accountId: string): Promise<ApiKeyInfo[]> {
    const inherited =
      this.parent !== undefined
        ? await this.parent.apiKeys(accountId)
        : await this.store.apiKeys(accountId);
    const created: ApiKeyInfo[] = this.rows.apiKeys
      .filter((key) => key.accountId === accountId)
      .map((key) => ({
        id: key.id,
        accountId,
        hint: key.hint,
        createdAt: key.createdAt,
        revokedAt: null,
      }));
    const revoked = new Map<string, number>();
    for (const revocation of this.rows.keyRevocations)
      if (revocation.accountId === accountId && !revoked.has(revocation.id))
        revoked.set(revocation.id, revocation.revokedAt);
    return [...inherited, ...created].map((key) =>
      key.revokedAt === null && revoked.has(key.id)
        ? { ...key, revokedAt: revoked.get(key.id) as number }
        : key,
    );
  }

  addApiKey(record: ApiKeyRecord): void {
    this.rows.apiKeys.push(record);
  }

  revokeApiKey(revocation: KeyRevocation): void {
    this.rows.keyRevocations.push(revocation);
  }

  async documentsOnTimeline(timelineId: string): Promise<string[]> {
    const inherited =
      this.parent !== undefined
        ? await this.parent.documentsOnTimeline(timelineId)
        : await this.store.documentsOnTimeline(timelineId);
    const own = this.subscriptions.get(timelineId);
    if (own === undefined) return inherited;
    return [...new Set([...inherited, ...own])].sort();
  }

  subscribe(documentId: string, timelineId: string): void {
    let set = this.subscriptions.get(timelineId);
    if (set === undefined) this.subscriptions.set(timelineId, (set = new Set()));
    if (set.has(documentId)) return;
    set.add(documentId);
    this.rows.subscriptions.push({ documentId, timelineId });
  }

  async documentIdByRef(ref: string): Promise<string | undefined> {
    return (
      this.refs.get(ref) ??
      (this.parent !== undefined
        ? this.parent.documentIdByRef(ref)
        : this.store.documentIdByRef(ref))
    );
  }

  addRef(ref: string, documentId: string): void {
    this.refs.set(ref, documentId);
    this.rows.refs.push({ ref, documentId });
  }

  async isParticipant(documentId: string, accountId: string): Promise<boolean> {
    if (this.participants.has(`${documentId} ${accountId}`)) return true;
    return this.parent !== undefined
      ? this.parent.isParticipant(documentId, accountId)
      : this.store.isParticipant(documentId, accountId);
  }

  addParticipant(documentId: string, accountId: string): void {
    const key = `${documentId} ${accountId}`;
    if (this.participants.has(key)) return;
    this.participants.add(key);
    this.rows.participants.push({ documentId, accountId });
  }

  async idempotency(accountId: string, key: string): Promise<IdempotencyRecord | undefined> {
    return (
      this.keys.get(`${accountId} ${key}`) ??
      (this.parent !== undefined
        ? this.parent.idempotency(accountId, key)
        : this.store.idempotency(accountId, key))
    );
  }

  addIdempotency(record: IdempotencyRecord): void {
    this.keys.set(`${record.accountId} ${record.key}`, record);
    this.rows.idempotency.push(record);
  }

  /** Folds a successful child into this set. */
  merge(child: WorkingSet): void {
    for (const [id, record] of child.documents) this.documents.set(id, record);
    for (const [id, record] of child.timelines) this.timelines.set(id, record);
    for (const [email, account] of child.accountsByEmail) this.accountsByEmail.set(email, account);
    for (const [id, account] of child.accountsById) this.accountsById.set(id, account);
    for (const [timelineId, set] of child.subscriptions) {
      const mine = this.subscriptions.get(timelineId) ?? new Set<string>();
      for (const documentId of set) mine.add(documentId);
      this.subscriptions.set(timelineId, mine);
    }
    for (const [ref, documentId] of child.refs) this.refs.set(ref, documentId);
    for (const key of child.participants) this.participants.add(key);
    for (const [key, record] of child.keys) this.keys.set(key, record);
    for (const [name, rows] of Object.entries(child.rows) as [keyof WriteBatch, unknown[]][])
      (this.rows[name] as unknown[]).push(...rows);
  }

  /** After a successful commit: the heads this set read or wrote are the committed ones. */
  publish(): void {
    if (this.cache === undefined) return;
    for (const record of this.documents.values()) this.cache.putDocument(record);
    for (const record of this.timelines.values()) this.cache.putTimeline(record);
  }

  /** The root set as one batch: every changed document and timeline head, guarded. */
  toBatch(): WriteBatch {
    const batch: WriteBatch = { ...this.rows, documents: [], timelineHeads: [] };
    const created = new Set(this.rows.timelines.map((timeline) => timeline.id));
    for (const [id, record] of this.documents) {
      const base = this.baseVersions.get(id) ?? 0;
      if (base !== 0 && base === record.version) continue;
      batch.documents.push({ record, expectedVersion: base });
    }
    for (const [id, record] of this.timelines) {
      if (created.has(id)) continue;
      const base = this.baseSequences.get(id) ?? 0;
      if (base === record.headSequence || record.headBlueId === null) continue;
      batch.timelineHeads.push({
        id,
        headSequence: record.headSequence,
        headBlueId: record.headBlueId,
        expectedSequence: base,
      });
    }
    // New timelines are inserted with their final head.
    batch.timelines = this.rows.timelines.map(
      (timeline) => this.timelines.get(timeline.id) ?? timeline,
    );
    return batch;
  }
}
