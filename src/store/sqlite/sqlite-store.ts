import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { PaydocError } from '../../errors/paydoc-error.js';
import type { JsonObject, JsonValue } from '../../model/json.js';
import type { Store } from '../store.js';
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
} from '../store-records.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';

type Row = Record<string, unknown>;

/**
 * The embedded Store: one SQLite file (better-sqlite3) in WAL mode with `synchronous = FULL`,
 * so a commit has reached the disk when {@link SqliteStore.commit} returns. The engine groups
 * several requests into one commit to spread that fsync over them.
 */
export class SqliteStore implements Store {
  private readonly db: SqliteDatabase;
  private readonly statements = new Map<string, Statement>();

  /** `path` is a file, or `:memory:` for tests that need no durability. */
  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    // Another process (a second store on the file, a backup tool) may hold a lock briefly.
    this.db.pragma('busy_timeout = 5000');
  }

  migrate(): Promise<void> {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT',
    );
    const applied = new Set(
      (this.db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((row) =>
        Number(row.version),
      ),
    );
    for (const migration of SQLITE_MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      this.db
        .transaction(() => {
          this.db.exec(migration.sql);
          this.db
            .prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)')
            .run(migration.version, Date.now());
        })
        .immediate();
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }

  accountById(id: string): Promise<AccountRecord | undefined> {
    return Promise.resolve(accountOf(this.get('SELECT * FROM accounts WHERE id = ?', id)));
  }

  accountByEmail(email: string): Promise<AccountRecord | undefined> {
    return Promise.resolve(accountOf(this.get('SELECT * FROM accounts WHERE email = ?', email)));
  }

  accountByKeyHash(keyHash: string): Promise<AccountRecord | undefined> {
    return Promise.resolve(
      accountOf(
        this.get(
          'SELECT accounts.* FROM api_keys JOIN accounts ON accounts.id = api_keys.account_id WHERE key_hash = ? AND revoked_at IS NULL',
          keyHash,
        ),
      ),
    );
  }

  countAccounts(): Promise<number> {
    return Promise.resolve(Number(this.get('SELECT count(*) AS n FROM accounts')?.n ?? 0));
  }

  accounts(after: string | undefined, limit: number): Promise<AccountRecord[]> {
    return Promise.resolve(
      this.all('SELECT * FROM accounts WHERE id > ? ORDER BY id LIMIT ?', after ?? '', limit).map(
        (row) => accountOf(row) as AccountRecord,
      ),
    );
  }

  signingKeys(): Promise<SigningKeyRecord[]> {
    return Promise.resolve(
      this.all('SELECT * FROM signing_keys ORDER BY created_at, key_id').map((row) => ({
        keyId: String(row.key_id),
        publicKey: String(row.public_key),
        privateKey: String(row.private_key),
        createdAt: Number(row.created_at),
        retiredAt: row.retired_at === null ? null : Number(row.retired_at),
      })),
    );
  }

  participantKeys(accountId: string): Promise<ParticipantKeyRecord[]> {
    return Promise.resolve(
      this.all(
        'SELECT * FROM participant_keys WHERE account_id = ? ORDER BY created_at, key_id',
        accountId,
      ).map(participantKeyOf),
    );
  }

  participantKey(keyId: string): Promise<ParticipantKeyRecord | undefined> {
    const row = this.get('SELECT * FROM participant_keys WHERE key_id = ?', keyId);
    return Promise.resolve(row === undefined ? undefined : participantKeyOf(row));
  }

  cosignatures(timelineId: string, size: number): Promise<CosignatureRecord[]> {
    return Promise.resolve(
      this.all(
        'SELECT * FROM cosignatures WHERE timeline_id = ? AND size = ? ORDER BY created_at, key_id',
        timelineId,
        size,
      ).map((row) => ({
        timelineId: String(row.timeline_id),
        size: Number(row.size),
        keyId: String(row.key_id),
        accountId: String(row.account_id),
        rootHash: String(row.root_hash),
        signature: String(row.signature),
        createdAt: Number(row.created_at),
      })),
    );
  }

  typesOf(accountId: string): Promise<TypeRecord[]> {
    return Promise.resolve(
      this.all('SELECT * FROM types WHERE account_id = ? ORDER BY position', accountId).map(
        (row) => ({
          accountId: String(row.account_id),
          blueId: String(row.blue_id),
          name: String(row.name),
          position: Number(row.position),
          definition: parseObject(row.definition),
          createdAt: Number(row.created_at),
        }),
      ),
    );
  }

  apiKeys(accountId: string): Promise<ApiKeyInfo[]> {
    return Promise.resolve(
      this.all(
        'SELECT id, account_id, hint, created_at, revoked_at FROM api_keys WHERE account_id = ? ORDER BY created_at, id',
        accountId,
      ).map((row) => ({
        id: String(row.id),
        accountId: String(row.account_id),
        hint: row.hint === null ? null : String(row.hint),
        createdAt: Number(row.created_at),
        revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
      })),
    );
  }

  timelinesOf(accountId: string): Promise<OwnedTimeline[]> {
    const owned = new Map<string, OwnedTimeline>();
    for (const row of this.all('SELECT * FROM timelines WHERE owner_id = ? ORDER BY id', accountId))
      owned.set(String(row.id), { ...timelineOf(row), documentIds: [] });
    for (const row of this.all(
      'SELECT subscriptions.timeline_id, subscriptions.document_id FROM subscriptions JOIN timelines ON timelines.id = subscriptions.timeline_id WHERE timelines.owner_id = ? ORDER BY subscriptions.timeline_id, subscriptions.document_id',
      accountId,
    ))
      owned.get(String(row.timeline_id))?.documentIds.push(String(row.document_id));
    return Promise.resolve([...owned.values()]);
  }

  timeline(id: string): Promise<TimelineRecord | undefined> {
    const row = this.get('SELECT * FROM timelines WHERE id = ?', id);
    return Promise.resolve(row === undefined ? undefined : timelineOf(row));
  }

  entries(timelineId: string, after: number, limit: number): Promise<EntryRecord[]> {
    const rows = this.all(
      'SELECT * FROM entries WHERE timeline_id = ? AND sequence > ? ORDER BY sequence LIMIT ?',
      timelineId,
      after,
      limit,
    );
    return Promise.resolve(
      rows.map((row) => ({
        timelineId: String(row.timeline_id),
        sequence: Number(row.sequence),
        blueId: String(row.blue_id),
        entry: parseObject(row.entry),
        ...(row.signature === null || row.signature === undefined
          ? {}
          : { signature: { keyId: String(row.key_id), value: String(row.signature) } }),
      })),
    );
  }

  document(id: string): Promise<DocumentRecord | undefined> {
    const row = this.get('SELECT * FROM documents WHERE id = ?', id);
    return Promise.resolve(row === undefined ? undefined : documentOf(row));
  }

  documentIdByRef(ref: string): Promise<string | undefined> {
    const row = this.get('SELECT document_id FROM document_refs WHERE ref = ?', ref);
    return Promise.resolve(row === undefined ? undefined : String(row.document_id));
  }

  documentsOnTimeline(timelineId: string): Promise<string[]> {
    return Promise.resolve(
      this.all(
        'SELECT document_id FROM subscriptions WHERE timeline_id = ? ORDER BY document_id',
        timelineId,
      ).map((row) => String(row.document_id)),
    );
  }

  isParticipant(documentId: string, accountId: string): Promise<boolean> {
    return Promise.resolve(
      this.get(
        'SELECT 1 AS yes FROM participants WHERE document_id = ? AND account_id = ?',
        documentId,
        accountId,
      ) !== undefined,
    );
  }

  results(documentId: string): Promise<ResultRecord[]> {
    return Promise.resolve(
      this.all('SELECT * FROM results WHERE document_id = ? ORDER BY version', documentId).map(
        (row) => ({
          documentId: String(row.document_id),
          version: Number(row.version),
          event: parseObject(row.event),
          origin: row.origin === 'processor' ? 'processor' : 'input',
          entryBlueId: row.entry_blue_id === null ? null : String(row.entry_blue_id),
          status: parseObject(row.status),
          patches: JSON.parse(String(row.patches)) as JsonValue[],
          emitted: JSON.parse(String(row.emitted)) as JsonObject[],
          blueId: String(row.blue_id),
          at: Number(row.at),
        }),
      ),
    );
  }

  documentsOf(ownerId: string, query: DocumentQuery): Promise<DocumentRecord[]> {
    const clauses = ['owner_id = ?'];
    const values: (string | number)[] = [ownerId];
    if (query.typeName !== undefined) {
      clauses.push('type_name = ?');
      values.push(query.typeName);
    }
    if (query.after !== undefined) {
      // Strictly older than the page's last document, in the same (created_at, id) order.
      clauses.push(
        '(created_at, id) < (SELECT created_at, id FROM documents WHERE id = ? AND owner_id = ?)',
      );
      values.push(query.after, ownerId);
    }
    return Promise.resolve(
      this.all(
        `SELECT * FROM documents WHERE ${clauses.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`,
        ...values,
        query.limit,
      ).map(documentOf),
    );
  }

  dueTimers(
    now: number,
    limit: number,
    ownerId?: string,
  ): Promise<{ documentId: string; dueAt: number }[]> {
    const owned = ownerId === undefined ? '' : ' AND owner_id = ?';
    return Promise.resolve(
      this.all(
        `SELECT id, next_timer_at FROM documents WHERE next_timer_at IS NOT NULL AND next_timer_at <= ?${owned} ORDER BY next_timer_at, id LIMIT ?`,
        now,
        ...(ownerId === undefined ? [] : [ownerId]),
        limit,
      ).map((row) => ({ documentId: String(row.id), dueAt: Number(row.next_timer_at) })),
    );
  }

  testClocks(): Promise<TestClockRecord[]> {
    return Promise.resolve(
      this.all('SELECT account_id, offset_ms FROM test_clocks ORDER BY account_id').map((row) => ({
        accountId: String(row.account_id),
        offsetMs: Number(row.offset_ms),
      })),
    );
  }

  nextTimerAt(): Promise<number | undefined> {
    const row = this.get(
      'SELECT min(next_timer_at) AS due FROM documents WHERE next_timer_at IS NOT NULL',
    );
    return Promise.resolve(row?.due === null || row === undefined ? undefined : Number(row.due));
  }

  idempotency(accountId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const row = this.get(
      'SELECT * FROM idempotency_keys WHERE account_id = ? AND key = ?',
      accountId,
      key,
    );
    return Promise.resolve(
      row === undefined
        ? undefined
        : {
            accountId: String(row.account_id),
            key: String(row.key),
            requestHash: String(row.request_hash),
            statusCode: Number(row.status_code),
            response: JSON.parse(String(row.response)) as JsonValue,
            createdAt: Number(row.created_at),
          },
    );
  }

  events(
    accountId: string,
    filter: { type?: string; documentId?: string; beforeSeq?: number; limit: number },
  ): Promise<StoredEvent[]> {
    // One statement per combination of filters (each cached), so every one can use an index.
    const where = ['account_id = ?'];
    const params: unknown[] = [accountId];
    if (filter.type !== undefined) {
      where.push('type = ?');
      params.push(filter.type);
    }
    if (filter.documentId !== undefined) {
      where.push('document_id = ?');
      params.push(filter.documentId);
    }
    if (filter.beforeSeq !== undefined) {
      where.push('seq < ?');
      params.push(filter.beforeSeq);
    }
    return Promise.resolve(
      this.all(
        `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`,
        ...params,
        filter.limit,
      ).map(eventOf),
    );
  }

  event(id: string): Promise<StoredEvent | undefined> {
    const row = this.get('SELECT * FROM events WHERE id = ?', id);
    return Promise.resolve(row === undefined ? undefined : eventOf(row));
  }

  eventsAfter(afterSeq: number, limit: number): Promise<StoredEvent[]> {
    return Promise.resolve(
      this.all('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?', afterSeq, limit).map(
        eventOf,
      ),
    );
  }

  webhookEndpoints(accountId: string): Promise<WebhookEndpointRecord[]> {
    return Promise.resolve(
      this.all(
        "SELECT * FROM webhook_endpoints WHERE account_id = ? AND status != 'deleted' ORDER BY created_at, id",
        accountId,
      ).map(endpointOf),
    );
  }

  webhookEndpoint(id: string): Promise<WebhookEndpointRecord | undefined> {
    const row = this.get('SELECT * FROM webhook_endpoints WHERE id = ?', id);
    return Promise.resolve(row === undefined ? undefined : endpointOf(row));
  }

  deliveriesOfEvent(eventId: string): Promise<DeliveryRecord[]> {
    return Promise.resolve(
      this.all('SELECT * FROM deliveries WHERE event_id = ? ORDER BY created_at, id', eventId).map(
        deliveryOf,
      ),
    );
  }

  delivery(id: string): Promise<DeliveryRecord | undefined> {
    const row = this.get('SELECT * FROM deliveries WHERE id = ?', id);
    return Promise.resolve(row === undefined ? undefined : deliveryOf(row));
  }

  deliveryAttempts(deliveryId: string): Promise<DeliveryAttemptRecord[]> {
    return Promise.resolve(
      this.all(
        'SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt',
        deliveryId,
      ).map((row) => ({
        deliveryId: String(row.delivery_id),
        attempt: Number(row.attempt),
        at: Number(row.at),
        statusCode: nullableNumber(row.status_code),
        latencyMs: Number(row.latency_ms),
        error: row.error === null ? null : String(row.error),
        nextAttemptAt: nullableNumber(row.next_attempt_at),
      })),
    );
  }

  claimDueDeliveries(
    now: number,
    limit: number,
    leaseUntil: number,
    share?: DeliveryShare,
  ): Promise<DeliveryRecord[]> {
    // IMMEDIATE takes the write lock before the read: a second claimer (another store on the
    // file) waits (busy_timeout), then sees these leases and passes over the rows.
    const claim = (): DeliveryRecord[] => {
      const max = share?.perEndpoint ?? Number.MAX_SAFE_INTEGER;
      // Each endpoint's due deliveries ranked, so that no endpoint takes more than its share.
      const due = this.all(
        "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS rank FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)) WHERE rank <= ? ORDER BY next_attempt_at, id",
        now,
        now,
        max,
      );
      const chosen: typeof due = [];
      for (const row of due) {
        // SQLite reads a negative LIMIT as no limit at all; here a limit below 1 claims nothing.
        if (chosen.length >= Math.max(0, limit)) break;
        const busy = share?.busy.get(String(row.endpoint_id)) ?? 0;
        if (Number(row.rank) > max - busy) continue;
        chosen.push(row);
      }
      for (const row of chosen)
        this.run('UPDATE deliveries SET lease_until = ? WHERE id = ?', leaseUntil, row.id);
      return chosen.map((row) => ({ ...deliveryOf(row), leaseUntil }));
    };
    try {
      return Promise.resolve(this.db.transaction(claim).immediate());
    } catch (error) {
      return Promise.reject(storeError(error));
    }
  }

  nextDeliveryAt(): Promise<number | undefined> {
    const row = this.get(
      "SELECT min(max(next_attempt_at, coalesce(lease_until + 1, next_attempt_at))) AS due FROM deliveries WHERE state = 'pending' AND next_attempt_at IS NOT NULL",
    );
    return Promise.resolve(nullableNumber(row?.due ?? null) ?? undefined);
  }

  commit(batch: WriteBatch): Promise<void> {
    try {
      this.db.transaction(() => this.write(batch)).immediate();
    } catch (error) {
      // better-sqlite3 rolls the transaction back when a statement throws (SQLite may already
      // have): nothing of the batch is written, and the next commit starts clean.
      return Promise.reject(storeError(error));
    }
    return Promise.resolve();
  }

  private write(batch: WriteBatch): void {
    for (const account of batch.accounts)
      this.run(
        'INSERT INTO accounts (id, email, timeline_id, created_at) VALUES (?, ?, ?, ?)',
        account.id,
        account.email,
        account.timelineId,
        account.createdAt,
      );
    for (const timeline of batch.timelines)
      this.run(
        'INSERT INTO timelines (id, owner_id, head_sequence, head_blue_id, created_at) VALUES (?, ?, ?, ?, ?)',
        timeline.id,
        timeline.ownerId,
        timeline.headSequence,
        timeline.headBlueId,
        timeline.createdAt,
      );
    for (const key of batch.apiKeys)
      this.run(
        'INSERT INTO api_keys (id, key_hash, account_id, hint, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, NULL)',
        key.id,
        key.keyHash,
        key.accountId,
        key.hint,
        key.createdAt,
      );
    // Only the account's own key, and only once: a revoked key keeps its first revocation time.
    for (const revocation of batch.keyRevocations)
      this.run(
        'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND account_id = ? AND revoked_at IS NULL',
        revocation.revokedAt,
        revocation.id,
        revocation.accountId,
      );
    for (const head of batch.timelineHeads) {
      const changed = this.run(
        'UPDATE timelines SET head_sequence = ?, head_blue_id = ? WHERE id = ? AND head_sequence = ?',
        head.headSequence,
        head.headBlueId,
        head.id,
        head.expectedSequence,
      );
      if (changed !== 1)
        throw new PaydocError('store_conflict', `timeline ${head.id} moved under this commit`);
    }
    for (const entry of batch.entries)
      this.run(
        'INSERT INTO entries (timeline_id, sequence, blue_id, entry, key_id, signature) VALUES (?, ?, ?, ?, ?, ?)',
        entry.timelineId,
        entry.sequence,
        entry.blueId,
        JSON.stringify(entry.entry),
        entry.signature?.keyId ?? null,
        entry.signature?.value ?? null,
      );
    for (const write of batch.documents) this.writeDocument(write.record, write.expectedVersion);
    for (const row of batch.participants)
      this.run(
        'INSERT OR IGNORE INTO participants (document_id, account_id) VALUES (?, ?)',
        row.documentId,
        row.accountId,
      );
    for (const row of batch.subscriptions)
      this.run(
        'INSERT OR IGNORE INTO subscriptions (timeline_id, document_id) VALUES (?, ?)',
        row.timelineId,
        row.documentId,
      );
    for (const row of batch.refs)
      this.run(
        'INSERT INTO document_refs (ref, document_id) VALUES (?, ?)',
        row.ref,
        row.documentId,
      );
    for (const result of batch.results)
      this.run(
        'INSERT INTO results (document_id, version, event, origin, entry_blue_id, status, patches, emitted, blue_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        result.documentId,
        result.version,
        JSON.stringify(result.event),
        result.origin,
        result.entryBlueId,
        JSON.stringify(result.status),
        JSON.stringify(result.patches),
        JSON.stringify(result.emitted),
        result.blueId,
        result.at,
      );
    for (const row of batch.idempotency)
      this.run(
        'INSERT INTO idempotency_keys (account_id, key, request_hash, status_code, response, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        row.accountId,
        row.key,
        row.requestHash,
        row.statusCode,
        JSON.stringify(row.response),
        row.createdAt,
      );
    for (const key of batch.signingKeys)
      this.run(
        'INSERT INTO signing_keys (key_id, public_key, private_key, created_at, retired_at) VALUES (?, ?, ?, ?, ?)',
        key.keyId,
        key.publicKey,
        key.privateKey,
        key.createdAt,
        key.retiredAt,
      );
    // A key keeps its first retirement time.
    for (const retirement of batch.keyRetirements)
      this.run(
        'UPDATE signing_keys SET retired_at = ? WHERE key_id = ? AND retired_at IS NULL',
        retirement.retiredAt,
        retirement.keyId,
      );
    for (const type of batch.types)
      this.run(
        'INSERT INTO types (account_id, blue_id, name, position, definition, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        type.accountId,
        type.blueId,
        type.name,
        type.position,
        JSON.stringify(type.definition),
        type.createdAt,
      );
    for (const key of batch.participantKeys)
      this.run(
        'INSERT INTO participant_keys (key_id, account_id, public_key, created_at) VALUES (?, ?, ?, ?)',
        key.keyId,
        key.accountId,
        key.publicKey,
        key.createdAt,
      );
    for (const row of batch.cosignatures)
      this.run(
        'INSERT INTO cosignatures (timeline_id, size, key_id, account_id, root_hash, signature, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        row.timelineId,
        row.size,
        row.keyId,
        row.accountId,
        row.rootHash,
        row.signature,
        row.createdAt,
      );
    this.writeWebhooks(batch);
    this.writeTestClocks(batch);
  }

  /** Events, endpoints, deliveries, delivery updates, attempts: each may name the ones before. */
  private writeTestClocks(batch: WriteBatch): void {
    // A clock only goes forward: a smaller offset (a stale writer) never replaces a larger one.
    for (const clock of batch.testClocks)
      this.run(
        `INSERT INTO test_clocks (account_id, offset_ms) VALUES (?, ?)
         ON CONFLICT (account_id) DO UPDATE SET offset_ms = max(offset_ms, excluded.offset_ms)`,
        clock.accountId,
        clock.offsetMs,
      );
  }

  private writeWebhooks(batch: WriteBatch): void {
    for (const event of batch.events)
      this.run(
        'INSERT INTO events (id, account_id, type, document_id, created_at, data) VALUES (?, ?, ?, ?, ?, ?)',
        event.id,
        event.accountId,
        event.type,
        event.documentId,
        event.createdAt,
        JSON.stringify(event.data),
      );
    // An upsert, not INSERT OR REPLACE: that would delete the row its deliveries name. An
    // endpoint never changes account: replacing another account's endpoint is a conflict.
    for (const endpoint of batch.webhookEndpoints) {
      const changed = this.run(
        `INSERT INTO webhook_endpoints (id, account_id, url, events, description, secret, previous_secret, previous_secret_until, status, created_at, failing_since, disabled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET url = excluded.url, events = excluded.events, description = excluded.description, secret = excluded.secret, previous_secret = excluded.previous_secret, previous_secret_until = excluded.previous_secret_until, status = excluded.status, created_at = excluded.created_at, failing_since = excluded.failing_since, disabled_at = excluded.disabled_at
         WHERE account_id = excluded.account_id`,
        endpoint.id,
        endpoint.accountId,
        endpoint.url,
        endpoint.events === null ? null : JSON.stringify(endpoint.events),
        endpoint.description,
        endpoint.secret,
        endpoint.previousSecret,
        endpoint.previousSecretUntil,
        endpoint.status,
        endpoint.createdAt,
        endpoint.failingSince,
        endpoint.disabledAt,
      );
      if (changed !== 1)
        throw new PaydocError(
          'store_conflict',
          `webhook endpoint ${endpoint.id} belongs to another account`,
        );
    }
    for (const delivery of batch.deliveries)
      this.run(
        'INSERT INTO deliveries (id, event_id, endpoint_id, account_id, state, attempts, next_attempt_at, lease_until, created_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        delivery.id,
        delivery.eventId,
        delivery.endpointId,
        delivery.accountId,
        delivery.state,
        delivery.attempts,
        delivery.nextAttemptAt,
        delivery.leaseUntil,
        delivery.createdAt,
        delivery.deliveredAt,
      );
    for (const update of batch.deliveryUpdates) {
      const changed = this.run(
        'UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, lease_until = ?, delivered_at = ? WHERE id = ?',
        update.state,
        update.attempts,
        update.nextAttemptAt,
        update.leaseUntil,
        update.deliveredAt,
        update.id,
      );
      if (changed !== 1) throw new PaydocError('store_conflict', `no delivery ${update.id}`);
    }
    for (const attempt of batch.deliveryAttempts)
      this.run(
        'INSERT INTO delivery_attempts (delivery_id, attempt, at, status_code, latency_ms, error, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        attempt.deliveryId,
        attempt.attempt,
        attempt.at,
        attempt.statusCode,
        attempt.latencyMs,
        attempt.error,
        attempt.nextAttemptAt,
      );
  }

  private writeDocument(record: DocumentRecord, expectedVersion: number): void {
    const values = [
      JSON.stringify(record.state),
      record.blueId,
      record.version,
      JSON.stringify(record.book),
      record.nextTimerAt,
      record.updatedAt,
    ];
    if (expectedVersion === 0) {
      this.run(
        'INSERT INTO documents (state, blue_id, version, book, next_timer_at, updated_at, id, owner_id, type_name, genesis, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ...values,
        record.id,
        record.ownerId,
        record.typeName,
        JSON.stringify(record.genesis),
        record.createdAt,
      );
      return;
    }
    const changed = this.run(
      'UPDATE documents SET state = ?, blue_id = ?, version = ?, book = ?, next_timer_at = ?, updated_at = ? WHERE id = ? AND version = ?',
      ...values,
      record.id,
      expectedVersion,
    );
    if (changed !== 1)
      throw new PaydocError('store_conflict', `document ${record.id} changed under this commit`);
  }

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private get(sql: string, ...params: unknown[]): Row | undefined {
    return this.statement(sql).get(...params) as Row | undefined;
  }

  private all(sql: string, ...params: unknown[]): Row[] {
    return this.statement(sql).all(...params) as Row[];
  }

  private run(sql: string, ...params: unknown[]): number {
    return this.statement(sql).run(...params).changes;
  }
}

function accountOf(row: Row | undefined): AccountRecord | undefined {
  if (row === undefined) return undefined;
  return {
    id: String(row.id),
    email: String(row.email),
    timelineId: String(row.timeline_id),
    createdAt: Number(row.created_at),
  };
}

function participantKeyOf(row: Row): ParticipantKeyRecord {
  return {
    keyId: String(row.key_id),
    accountId: String(row.account_id),
    publicKey: String(row.public_key),
    createdAt: Number(row.created_at),
  };
}

function timelineOf(row: Row): TimelineRecord {
  return {
    id: String(row.id),
    ownerId: String(row.owner_id),
    headSequence: Number(row.head_sequence),
    headBlueId: row.head_blue_id === null ? null : String(row.head_blue_id),
    createdAt: Number(row.created_at),
  };
}

function documentOf(row: Row): DocumentRecord {
  return {
    id: String(row.id),
    ownerId: String(row.owner_id),
    typeName: row.type_name === null ? null : String(row.type_name),
    genesis: parseObject(row.genesis),
    state: parseObject(row.state),
    blueId: String(row.blue_id),
    version: Number(row.version),
    book: parseObject(row.book),
    nextTimerAt: row.next_timer_at === null ? null : Number(row.next_timer_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function eventOf(row: Row): StoredEvent {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    type: String(row.type),
    documentId: row.document_id === null ? null : String(row.document_id),
    createdAt: Number(row.created_at),
    data: parseObject(row.data),
    seq: Number(row.seq),
  };
}

function endpointOf(row: Row): WebhookEndpointRecord {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    url: String(row.url),
    events: row.events === null ? null : (JSON.parse(String(row.events)) as string[]),
    description: row.description === null ? null : String(row.description),
    secret: String(row.secret),
    previousSecret: row.previous_secret === null ? null : String(row.previous_secret),
    previousSecretUntil: nullableNumber(row.previous_secret_until),
    status: String(row.status) as WebhookEndpointRecord['status'],
    createdAt: Number(row.created_at),
    failingSince: nullableNumber(row.failing_since),
    disabledAt: nullableNumber(row.disabled_at),
  };
}

function deliveryOf(row: Row): DeliveryRecord {
  return {
    id: String(row.id),
    eventId: String(row.event_id),
    endpointId: String(row.endpoint_id),
    accountId: String(row.account_id),
    state: String(row.state) as DeliveryRecord['state'],
    attempts: Number(row.attempts),
    nextAttemptAt: nullableNumber(row.next_attempt_at),
    leaseUntil: nullableNumber(row.lease_until),
    createdAt: Number(row.created_at),
    deliveredAt: nullableNumber(row.delivered_at),
  };
}

function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function parseObject(text: unknown): JsonObject {
  return JSON.parse(String(text)) as JsonObject;
}

function sqliteCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** What a failed write becomes: a PaydocError as it is, else `storage_unavailable` or `store_conflict`. */
function storeError(error: unknown): Error {
  if (error instanceof PaydocError) return error;
  if (isStorageFull(error))
    return new PaydocError(
      'storage_unavailable',
      `the database cannot take writes now: ${(error as Error).message}`,
    );
  if (isConstraintError(error))
    return new PaydocError('store_conflict', `the commit was refused: ${(error as Error).message}`);
  return error instanceof Error ? error : new Error(String(error));
}

function isConstraintError(error: unknown): boolean {
  return sqliteCode(error)?.startsWith('SQLITE_CONSTRAINT') === true;
}

/**
 * The disk (or the database's size limit) is full: SQLITE_FULL, which SQLite's unix VFS also
 * reports for ENOSPC on a write, or an I/O error that names ENOSPC.
 */
function isStorageFull(error: unknown): boolean {
  const code = sqliteCode(error);
  if (code === 'SQLITE_FULL') return true;
  return (
    code?.startsWith('SQLITE_IOERR') === true &&
    /ENOSPC|no space left|disk is full/i.test((error as Error).message)
  );
}
