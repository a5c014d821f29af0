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

  /**
   * What this set read from its parent, when it tracks its reads (a batch that runs while
   * other batches commit): the version of each document, the head of each timeline, the
   * documents listening to each timeline and whether an email had an account. A batch whose
   * reads still hold in the set it joins saw what it would have seen running after the others.
   */
  private reads: Map<string, string> | undefined;

  constructor(
    private readonly store: Store,
    private parent?: WorkingSet,
    private readonly cache?: HeadCache,
  ) {}

  /**
   * The test clock offset this set, or a set it was forked from, will write for the account
   * (undefined when none does): writes not yet committed that later requests of the same commit
   * group must see.
   */
  pendingTestClock(accountId: string): number | undefined {
    let offset = this.parent?.pendingTestClock(accountId);
    for (const clock of this.rows.testClocks)
      if (clock.accountId === accountId) offset = Math.max(offset ?? 0, clock.offsetMs);
    return offset;
  }

  /** A child set for one request. */
  fork(): WorkingSet {
    return new WorkingSet(this.store, this);
  }

  /** A child set that records what it reads from this one (see {@link changedIn}). */
  trackedFork(): WorkingSet {
    const child = this.fork();
    child.reads = new Map();
    return child;
  }

  /**
   * The first read of this tracked set that `current` would answer differently, or undefined
   * when every read still holds there (so this set's writes may join `current`).
   */
  async changedIn(current: WorkingSet): Promise<string | undefined> {
    for (const [read, seen] of this.reads ?? []) {
      const [kind, id] = [read.slice(0, 1), read.slice(2)];
      const now =
        kind === 'd'
          ? versionOf(await current.document(id))
          : kind === 't'
            ? headOf(await current.timeline(id))
            : kind === 's'
              ? (await current.documentsOnTimeline(id)).join(' ')
              : ((await current.accountByEmail(id))?.id ?? '-');
      if (now !== seen) return `${read} was ${seen}, is ${now}`;
    }
    return undefined;
  }

  /** Makes `parent` this set's parent (a tracked set whose reads hold there, joining it). */
  rebase(parent: WorkingSet): void {
    this.parent = parent;
  }

  private noteRead(read: string, value: string): void {
    if (this.reads !== undefined && !this.reads.has(read)) this.reads.set(read, value);
  }

  async document(id: string): Promise<DocumentRecord | undefined> {
    const own = this.documents.get(id);
    if (own !== undefined) return own;
    if (this.parent !== undefined) {
      const inherited = await this.parent.document(id);
      this.noteRead(`d ${id}`, versionOf(inherited));
      return inherited;
    }
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
    if (this.parent !== undefined) {
      const inherited = await this.parent.timeline(id);
      this.noteRead(`t ${id}`, headOf(inherited));
      return inherited;
    }
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
    const own = this.accountsByEmail.get(email);
    if (own !== undefined) return own;
    if (this.parent === undefined) return this.store.accountByEmail(email);
    const inherited = await this.parent.accountByEmail(email);
    this.noteRead(`e ${email}`, inherited?.id ?? '-');
    return inherited;
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
    if (this.parent !== undefined) this.noteRead(`s ${timelineId}`, inherited.join(' '));
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

  /**
   * Why this child's rows could not join its parent's batch, if they could not: a row that
   * names an account, timeline or document that neither this set, its parents nor the store
   * holds, or a unique key (account id or email, timeline id, entry sequence or BlueId, ref,
   * result version, Idempotency-Key) already taken there or twice in this set. Checked before
   * {@link merge}, so that a request whose rows would break the group's commit fails alone.
   * What needs a lookup the store does not offer (a key hash of a revoked key) is left to the
   * commit itself.
   */
  async refusal(): Promise<string | undefined> {
    const parent = this.parent;
    if (parent === undefined) return undefined;
    const rows = this.rows;
    const seen = new Set<string>();
    /** True the first time a key is seen in this set. */
    const first = (kind: string, key: string): boolean => {
      const name = `${kind}\u0000${key}`;
      if (seen.has(name)) return false;
      seen.add(name);
      return true;
    };
    const noAccount = async (id: string): Promise<boolean> =>
      (await this.accountById(id)) === undefined;
    const noDocument = async (id: string): Promise<boolean> =>
      (await this.document(id)) === undefined;
    for (const account of rows.accounts) {
      if (!first('account', account.id) || (await parent.accountById(account.id)) !== undefined)
        return `account ${account.id} exists`;
      if (
        !first('email', account.email) ||
        (await parent.accountByEmail(account.email)) !== undefined
      )
        return `an account for ${account.email} exists`;
    }
    for (const timeline of rows.timelines) {
      if (!first('timeline', timeline.id) || (await parent.timeline(timeline.id)) !== undefined)
        return `timeline ${timeline.id} exists`;
      if (await noAccount(timeline.ownerId))
        return `timeline ${timeline.id} names no account (${timeline.ownerId})`;
    }
    for (const key of rows.apiKeys) {
      if (!first('key', key.id) || !first('hash', key.keyHash)) return `key ${key.id} exists`;
      if (await noAccount(key.accountId)) return `key ${key.id} names no account`;
    }
    for (const entry of rows.entries) {
      const base = await parent.timeline(entry.timelineId);
      if (base === undefined && (await this.timeline(entry.timelineId)) === undefined)
        return `an entry names no timeline (${entry.timelineId})`;
      if (
        !first('entry', `${entry.timelineId} ${entry.sequence}`) ||
        (base !== undefined && entry.sequence <= base.headSequence)
      )
        return `entry ${entry.sequence} of timeline ${entry.timelineId} exists`;
      if (!first('entry id', entry.blueId)) return `entry ${entry.blueId} exists`;
    }
    for (const record of this.documents.values())
      if ((await parent.document(record.id)) === undefined && (await noAccount(record.ownerId)))
        return `document ${record.id} names no account (${record.ownerId})`;
    for (const row of rows.participants)
      if ((await noDocument(row.documentId)) || (await noAccount(row.accountId)))
        return `a participant of ${row.documentId} names no document or account`;
    for (const row of rows.subscriptions)
      if ((await noDocument(row.documentId)) || (await this.timeline(row.timelineId)) === undefined)
        return `a subscription of ${row.documentId} names no document or no timeline (${row.timelineId})`;
    for (const row of rows.refs) {
      if (!first('ref', row.ref) || (await parent.documentIdByRef(row.ref)) !== undefined)
        return `ref ${row.ref} is taken`;
      if (await noDocument(row.documentId)) return `ref ${row.ref} names no document`;
    }
    for (const result of rows.results) {
      const base = await parent.document(result.documentId);
      if (base === undefined && (await noDocument(result.documentId)))
        return `a result names no document (${result.documentId})`;
      if (
        !first('result', `${result.documentId} ${result.version}`) ||
        (base !== undefined && result.version <= base.version)
      )
        return `result ${result.version} of document ${result.documentId} exists`;
    }
    for (const row of rows.idempotency) {
      if (
        !first('idempotency', `${row.accountId} ${row.key}`) ||
        (await parent.idempotency(row.accountId, row.key)) !== undefined
      )
        return `Idempotency-Key ${row.key} is taken`;
      if (await noAccount(row.accountId)) return `an Idempotency-Key names no account`;
    }
    return undefined;
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

function versionOf(record: DocumentRecord | undefined): string {
  return record === undefined ? '-' : String(record.version);
}

function headOf(record: TimelineRecord | undefined): string {
  return record === undefined ? '-' : `${record.headSequence} ${record.headBlueId ?? ''}`;
}
