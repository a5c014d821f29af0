/**
 * The SQLite schema, as ordered migrations: each runs once, in its own transaction, and is
 * recorded in `schema_migrations`. Never edit a shipped migration; add the next one.
 */
export const SQLITE_MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        timeline_id TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE api_keys (
        key_hash TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE timelines (
        id TEXT PRIMARY KEY,
        owner_id TEXT NOT NULL REFERENCES accounts(id),
        head_sequence INTEGER NOT NULL,
        head_blue_id TEXT,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE entries (
        timeline_id TEXT NOT NULL REFERENCES timelines(id),
        sequence INTEGER NOT NULL,
        blue_id TEXT NOT NULL UNIQUE,
        entry TEXT NOT NULL,
        PRIMARY KEY (timeline_id, sequence)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        owner_id TEXT NOT NULL REFERENCES accounts(id),
        type_name TEXT,
        genesis TEXT NOT NULL,
        state TEXT NOT NULL,
        blue_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        book TEXT NOT NULL,
        next_timer_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX documents_next_timer ON documents(next_timer_at) WHERE next_timer_at IS NOT NULL;
      CREATE TABLE participants (
        document_id TEXT NOT NULL REFERENCES documents(id),
        account_id TEXT NOT NULL REFERENCES accounts(id),
        PRIMARY KEY (document_id, account_id)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE subscriptions (
        timeline_id TEXT NOT NULL REFERENCES timelines(id),
        document_id TEXT NOT NULL REFERENCES documents(id),
        PRIMARY KEY (timeline_id, document_id)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE document_refs (
        ref TEXT PRIMARY KEY,
        document_id TEXT NOT NULL REFERENCES documents(id)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE results (
        document_id TEXT NOT NULL REFERENCES documents(id),
        version INTEGER NOT NULL,
        event TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('input', 'processor')),
        entry_blue_id TEXT,
        status TEXT NOT NULL,
        patches TEXT NOT NULL,
        emitted TEXT NOT NULL,
        blue_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (document_id, version)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE idempotency_keys (
        account_id TEXT NOT NULL REFERENCES accounts(id),
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status_code INTEGER NOT NULL,
        response TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, key)
      ) STRICT, WITHOUT ROWID;
      -- Unused since webhook events (migration 6) took its place; kept, as migrations are history.
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        document_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        delivered_at INTEGER
      ) STRICT;
    `,
  },
  {
    // Keys get an id (to be listed and revoked by), a hint and a revocation time. The table is
    // rebuilt (SQLite cannot add a NOT NULL column without a default); keys made before keep
    // working, with an id of their own and no hint (only their hash was ever stored).
    version: 2,
    sql: `
      CREATE TABLE api_keys_v2 (
        id TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL UNIQUE,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        hint TEXT,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      ) STRICT;
      INSERT INTO api_keys_v2 (id, key_hash, account_id, hint, created_at, revoked_at)
        SELECT 'key_' || lower(hex(randomblob(10))), key_hash, account_id, NULL, created_at, NULL
        FROM api_keys;
      DROP TABLE api_keys;
      ALTER TABLE api_keys_v2 RENAME TO api_keys;
      CREATE INDEX api_keys_account ON api_keys(account_id, created_at);
      CREATE INDEX timelines_owner ON timelines(owner_id);
    `,
  },
  {
    // Authors' own types (issue 12): immutable rows, one name, one BlueId and one position (at
    // most 200, as MAX_OWN_TYPES says) per account.
    version: 3,
    sql: `
      CREATE TABLE types (
        account_id TEXT NOT NULL REFERENCES accounts(id),
        blue_id TEXT NOT NULL,
        name TEXT NOT NULL,
        position INTEGER NOT NULL CHECK (position >= 0 AND position < 200),
        definition TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, blue_id),
        UNIQUE (account_id, name),
        UNIQUE (account_id, position)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    // The server's Ed25519 signing keys (issue 13), and each entry's signature. Entries made
    // before have none.
    version: 4,
    sql: `
      CREATE TABLE signing_keys (
        key_id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        private_key TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        retired_at INTEGER
      ) STRICT;
      ALTER TABLE entries ADD COLUMN key_id TEXT;
      ALTER TABLE entries ADD COLUMN signature TEXT;
    `,
  },
  {
    // Participants co-sign checkpoints (issue 13): the Ed25519 keys accounts register, and the
    // signatures they made with them. The limits are MAX_PARTICIPANT_KEYS (20 per account) and
    // MAX_COSIGNATURES (99 per checkpoint: with the server's line, the 100 signature lines a
    // note reader takes); the triggers hold them when two servers write at once, as the
    // engine's own check (a read, then a write) cannot. The pair (key_id, account_id) is what a
    // co-signature names, so a signature is always by the account whose key it is.
    version: 5,
    sql: `
      CREATE TABLE participant_keys (
        key_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        public_key TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        UNIQUE (key_id, account_id)
      ) STRICT;
      CREATE INDEX participant_keys_account ON participant_keys(account_id, created_at);
      CREATE TRIGGER participant_keys_limit BEFORE INSERT ON participant_keys
      WHEN (SELECT count(*) FROM participant_keys WHERE account_id = NEW.account_id) >= 20
      BEGIN
        SELECT RAISE(ABORT, 'an account registers at most 20 participant keys');
      END;
      CREATE TABLE cosignatures (
        timeline_id TEXT NOT NULL REFERENCES timelines(id),
        size INTEGER NOT NULL CHECK (size >= 1),
        key_id TEXT NOT NULL,
        account_id TEXT NOT NULL,
        root_hash TEXT NOT NULL,
        signature TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (timeline_id, size, key_id),
        FOREIGN KEY (key_id, account_id) REFERENCES participant_keys(key_id, account_id)
      ) STRICT, WITHOUT ROWID;
      CREATE TRIGGER cosignatures_limit BEFORE INSERT ON cosignatures
      WHEN (SELECT count(*) FROM cosignatures WHERE timeline_id = NEW.timeline_id AND size = NEW.size) >= 99
      BEGIN
        SELECT RAISE(ABORT, 'a checkpoint carries at most 99 co-signatures');
      END;
    `,
  },
  {
    // Webhooks (issue 14): the events of an account's documents, the endpoints it sends them
    // to, and each event's delivery to each endpoint with its attempts. `seq` orders events
    // (AUTOINCREMENT: increasing, never reused, so a dispatcher's position stays valid).
    // document_id is not a foreign key, as outbox rows name documents without one. An
    // attempt's latency is REAL: a timer may measure fractions of a millisecond.
    version: 6,
    sql: `
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        type TEXT NOT NULL,
        document_id TEXT,
        created_at INTEGER NOT NULL,
        data TEXT NOT NULL
      ) STRICT;
      CREATE INDEX events_account ON events(account_id, seq);
      CREATE INDEX events_document ON events(document_id);
      CREATE TABLE webhook_endpoints (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        url TEXT NOT NULL,
        events TEXT,
        description TEXT,
        secret TEXT NOT NULL,
        previous_secret TEXT,
        previous_secret_until INTEGER,
        status TEXT NOT NULL CHECK (status IN ('enabled', 'disabled', 'deleted')),
        created_at INTEGER NOT NULL,
        failing_since INTEGER,
        disabled_at INTEGER
      ) STRICT;
      CREATE INDEX webhook_endpoints_account ON webhook_endpoints(account_id, created_at);
      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL REFERENCES events(id),
        endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
        account_id TEXT NOT NULL REFERENCES accounts(id),
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL CHECK (attempts >= 0),
        next_attempt_at INTEGER,
        lease_until INTEGER,
        created_at INTEGER NOT NULL,
        delivered_at INTEGER
      ) STRICT;
      CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);
      CREATE INDEX deliveries_event ON deliveries(event_id);
      CREATE TABLE delivery_attempts (
        delivery_id TEXT NOT NULL REFERENCES deliveries(id),
        attempt INTEGER NOT NULL CHECK (attempt >= 1),
        at INTEGER NOT NULL,
        status_code INTEGER,
        latency_ms REAL NOT NULL,
        error TEXT,
        next_attempt_at INTEGER,
        PRIMARY KEY (delivery_id, attempt)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    // GET /events?type=: an account's events of one type, newest first, without reading the
    // account's whole history.
    version: 7,
    sql: `
      CREATE INDEX events_account_type ON events(account_id, type, seq);
    `,
  },
  {
    // Test clocks (POST /test/clock), and an account's documents newest first (GET /blue, the
    // chain simulator's blocks).
    version: 8,
    sql: `
      CREATE TABLE test_clocks (
        account_id TEXT PRIMARY KEY REFERENCES accounts(id),
        offset_ms INTEGER NOT NULL CHECK (offset_ms >= 0)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX documents_owner ON documents(owner_id, created_at, id);
      CREATE INDEX documents_owner_type ON documents(owner_id, type_name, created_at, id);
      CREATE INDEX documents_owner_timer ON documents(owner_id, next_timer_at)
        WHERE next_timer_at IS NOT NULL;
    `,
  },
];
