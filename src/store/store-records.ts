import type { JsonObject, JsonValue } from '../model/json.js';

/** An account: the owner of timelines, documents and API keys. */
export interface AccountRecord {
  id: string;
  email: string;
  /** The account's own timeline, where its participant channels are bound. */
  timelineId: string;
  createdAt: number;
}

/**
 * A new API key as a batch writes it, kept only as its SHA-256 hash. `id` and `hint` are
 * optional only for writers that predate them: the store then gives the key an id of its own
 * and no hint. New keys are always active; a revocation is a write of its own.
 */
export interface ApiKeyRecord {
  /** `key_<hex>`: how the key is named when it is listed or revoked. */
  id: string;
  keyHash: string;
  accountId: string;
  /** A few characters of the key (its last four) to tell keys apart; null when unknown. */
  hint: string | null;
  createdAt: number;
}

/** An API key as it is read back: never its hash. */
export interface ApiKeyInfo {
  id: string;
  accountId: string;
  /** The key's last four characters; null for keys made before keys had hints. */
  hint: string | null;
  createdAt: number;
  /** When the key was revoked; a revoked key never authenticates again. */
  revokedAt: number | null;
}

/** Revokes an account's key: a key of another account, or an unknown one, is left alone. */
export interface KeyRevocation {
  id: string;
  accountId: string;
  revokedAt: number;
}

/** A timeline and its head (the last entry appended). */
export interface TimelineRecord {
  id: string;
  ownerId: string;
  /** 0 while the timeline is empty. */
  headSequence: number;
  headBlueId: string | null;
  createdAt: number;
}

/** A timeline an account owns, with the documents subscribed to it (ordered by id). */
export interface OwnedTimeline extends TimelineRecord {
  documentIds: string[];
}

/** An appended timeline entry; `blueId` is its id. */
export interface EntryRecord {
  timelineId: string;
  sequence: number;
  blueId: string;
  entry: JsonObject;
  /** The server's Ed25519 signature of the entry (signing-keys.ts); absent on older entries. */
  signature?: EntrySignature;
}

/** A signature of an entry: which key, and the signature (base64) of `entrySigningText`. */
export interface EntrySignature {
  keyId: string;
  value: string;
}

/**
 * A key the server signs entries with. Kept after it is retired (a newer key took over), so
 * that everything it signed can still be verified; only the newest unretired key signs.
 */
export interface SigningKeyRecord {
  keyId: string;
  /** The raw 32-byte Ed25519 public key, base64. */
  publicKey: string;
  /** The private key, PKCS #8 DER, base64: the database is the server's secret store. */
  privateKey: string;
  createdAt: number;
  retiredAt: number | null;
}

/**
 * An Ed25519 public key an account registered to co-sign timeline checkpoints with (issue 13).
 * Its id is derived from the key (`keyIdOf`), so one key is registered once, by one account.
 */
export interface ParticipantKeyRecord {
  keyId: string;
  accountId: string;
  /** The raw 32-byte Ed25519 public key, base64. */
  publicKey: string;
  createdAt: number;
}

/**
 * A participant's signature of a timeline's checkpoint at one size: a C2SP signed-note
 * signature of the checkpoint body under the key name = the account id.
 */
export interface CosignatureRecord {
  timelineId: string;
  size: number;
  keyId: string;
  accountId: string;
  /** The root (base64) the server computed at that size when it verified the signature. */
  rootHash: string;
  /** The signature line's value: base64 of the 4-byte note key ID and the 64-byte signature. */
  signature: string;
  createdAt: number;
}

/** A document's head: its current state, BlueId, version and the processor's records for it. */
export interface DocumentRecord {
  /** The document id: the BlueId of the document as initialised (DESIGN §4). */
  id: string;
  ownerId: string;
  typeName: string | null;
  /** The document as posted, participants bound, before initialisation (replay starts here). */
  genesis: JsonObject;
  state: JsonObject;
  blueId: string;
  /** Increments with every processed event; 1 after initialisation. */
  version: number;
  /** The payment processor's records for this document (a serialised PaymentBook). */
  book: JsonObject;
  /** When a Timer channel of the document is next due (ms), if any. */
  nextTimerAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** What one event did to one document (the document's history). */
export interface ResultRecord {
  documentId: string;
  version: number;
  /** The processor input as given (ProcessorEvent JSON); a replay feeds these in order. */
  event: JsonObject;
  /** `input` (an entry, a REST call, a timer) or `processor` (a payment processor answer). */
  origin: 'input' | 'processor';
  entryBlueId: string | null;
  status: JsonObject;
  patches: JsonValue[];
  emitted: JsonObject[];
  blueId: string;
  at: number;
}

/** A stored response to a POST with an Idempotency-Key. */
export interface IdempotencyRecord {
  accountId: string;
  key: string;
  /** SHA-256 of method, path and body: the same key with another request is refused. */
  requestHash: string;
  statusCode: number;
  response: JsonValue;
  createdAt: number;
}

/**
 * An author's own type, kept per account (POST /types). Immutable: its BlueId is the hash of
 * `definition`; a name names one type within its account, so a new version takes a new name.
 */
export interface TypeRecord {
  accountId: string;
  blueId: string;
  name: string;
  /**
   * Its place among the account's types, from 0, in the order they were added: types are
   * rebuilt in this order (a type may name an earlier one by BlueId), and the store refuses a
   * second type at one place, so two servers adding at once cannot both take it.
   */
  position: number;
  /** The type document as posted (YAML/JSON parsed), the same form as documents/types/. */
  definition: JsonObject;
  createdAt: number;
}

/** A webhook event (`evt_…`): what happened to a document, for its account. */
export interface EventRecord {
  /** `evt_…`, made by the engine; a second event with one id is a conflict. */
  id: string;
  accountId: string;
  /** Dotted: `payment.captured`, `invoice.paid`, `document.created`, … */
  type: string;
  documentId: string | null;
  /** ms */
  createdAt: number;
  data: JsonObject;
}

/** An event as it is read back, with the position the store gave it. */
export interface StoredEvent extends EventRecord {
  /** Assigned by the store when the event is written: increasing, never reused. */
  seq: number;
}

/** Where an account wants its events sent (`we_…`). */
export interface WebhookEndpointRecord {
  /** `we_…` */
  id: string;
  accountId: string;
  url: string;
  /** Event types it wants; null: all. */
  events: string[] | null;
  description: string | null;
  /** `whsec_…` */
  secret: string;
  /** The secret before the last rotation, still signing until previousSecretUntil. */
  previousSecret: string | null;
  previousSecretUntil: number | null;
  status: 'enabled' | 'disabled' | 'deleted';
  createdAt: number;
  /** When it started failing without a success since (null when healthy). */
  failingSince: number | null;
  disabledAt: number | null;
}

/** One event on its way to one endpoint (`dlv_…`). */
export interface DeliveryRecord {
  /** `dlv_…` */
  id: string;
  eventId: string;
  endpointId: string;
  accountId: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** When the next attempt is due, while pending. */
  nextAttemptAt: number | null;
  /** Until when a worker holds it ({@link Store.claimDueDeliveries}); null when unclaimed. */
  leaseUntil: number | null;
  createdAt: number;
  deliveredAt: number | null;
}

/** What one attempt of a delivery got back. */
/**
 * How many deliveries of one endpoint a claim may hold at once (`perEndpoint`), counting those
 * the claimer has in flight already (`busy`, by endpoint id): a slow endpoint's backlog is
 * left for later claims instead of waiting out its leases.
 */
export interface DeliveryShare {
  perEndpoint: number;
  busy: ReadonlyMap<string, number>;
}

export interface DeliveryAttemptRecord {
  deliveryId: string;
  /** 1, 2, …: one row per (deliveryId, attempt). */
  attempt: number;
  at: number;
  /** The endpoint's HTTP status; null when no response came (timeout, refused connection). */
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  nextAttemptAt: number | null;
}

/** A delivery's progress after an attempt, written by id (an unknown id is a conflict). */
export interface DeliveryUpdate {
  id: string;
  state: DeliveryRecord['state'];
  attempts: number;
  nextAttemptAt: number | null;
  leaseUntil: number | null;
  deliveredAt: number | null;
}

/** A document update inside a batch: `expectedVersion` 0 creates it. */
export interface DocumentWrite {
  record: DocumentRecord;
  expectedVersion: number;
}

/** A timeline head move inside a batch: `expectedSequence` guards against a concurrent writer. */
export interface TimelineHeadWrite {
  id: string;
  headSequence: number;
  headBlueId: string;
  expectedSequence: number;
}

/**
 * Everything one commit writes, in one transaction: either all of it is durable when
 * {@link Store.commit} resolves, or none of it is.
 */
export interface WriteBatch {
  accounts: AccountRecord[];
  apiKeys: ApiKeyRecord[];
  /** Written after `apiKeys`, so a key created and revoked in one batch ends revoked. */
  keyRevocations: KeyRevocation[];
  timelines: TimelineRecord[];
  timelineHeads: TimelineHeadWrite[];
  entries: EntryRecord[];
  documents: DocumentWrite[];
  /** Accounts taking part in a document (they may read it). */
  participants: { documentId: string; accountId: string }[];
  /** Timelines a document listens to (an appended entry reaches these documents). */
  subscriptions: { documentId: string; timelineId: string }[];
  /** Other names of a document, e.g. its charge id (`ch_…`) for the REST API routes. */
  refs: { ref: string; documentId: string }[];
  results: ResultRecord[];
  idempotency: IdempotencyRecord[];
  /** Own types an account adds (a name or BlueId it already holds is a conflict). */
  types: TypeRecord[];
  /** New signing keys (a key id already stored is a conflict). */
  signingKeys: SigningKeyRecord[];
  /** Keys retired: they sign no more, and stay for verification. */
  keyRetirements: { keyId: string; retiredAt: number }[];
  /**
   * Participant keys registered (a key id already stored, or an account past its limit, is a
   * conflict). Written after `accounts`.
   */
  participantKeys: ParticipantKeyRecord[];
  /**
   * Co-signatures of checkpoints (one per timeline, size and key; another is a conflict, as is
   * a key that is not the account's). Written after `participantKeys` and `timelines`.
   */
  cosignatures: CosignatureRecord[];
  /**
   * Webhook events (a second event with one id is a conflict). The webhook rows are written
   * last, in this order: events, endpoints, deliveries, delivery updates, attempts.
   */
  events: EventRecord[];
  /** Endpoints created or changed: a stored endpoint of that id is replaced, all of it. */
  webhookEndpoints: WebhookEndpointRecord[];
  /** New deliveries (of a stored event to a stored endpoint; a taken id is a conflict). */
  deliveries: DeliveryRecord[];
  /** Deliveries moved on, by id; an id that is not stored is a conflict. */
  deliveryUpdates: DeliveryUpdate[];
  /** Attempts of deliveries (one per delivery and attempt number; another is a conflict). */
  deliveryAttempts: DeliveryAttemptRecord[];
  /** Test clocks set: an account's offset replaces the one stored (it only grows). */
  testClocks: TestClockRecord[];
}

/**
 * An account's test clock (`POST /test/clock`): its time is the server's plus `offsetMs`, the
 * sum of its advances.
 */
export interface TestClockRecord {
  accountId: string;
  offsetMs: number;
}

/** Which of an account's documents to list, newest first. */
export interface DocumentQuery {
  /** Only documents of this type name (as stored: `Payments/Bitcoin Invoice`). */
  typeName?: string;
  /** Only documents older than this one (a page's last id). */
  after?: string;
  limit: number;
}

/** An empty batch to fill. */
export function emptyBatch(): WriteBatch {
  return {
    accounts: [],
    apiKeys: [],
    keyRevocations: [],
    timelines: [],
    timelineHeads: [],
    entries: [],
    documents: [],
    participants: [],
    subscriptions: [],
    refs: [],
    results: [],
    idempotency: [],
    types: [],
    signingKeys: [],
    keyRetirements: [],
    participantKeys: [],
    cosignatures: [],
    events: [],
    webhookEndpoints: [],
    deliveries: [],
    deliveryUpdates: [],
    deliveryAttempts: [],
    testClocks: [],
  };
}
