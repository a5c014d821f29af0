import { createHash, randomBytes } from 'node:crypto';
import type { JsonObject } from '../model/json.js';
import { scalarOf } from '../model/node.js';
import { newWebhookSecret } from '../outbox/webhook-signing.js';
import type { Store } from '../store/store.js';
import type {
  DeliveryRecord,
  DocumentRecord,
  WebhookEndpointRecord,
} from '../store/store-records.js';
import type { EventType } from './event-catalogue.js';
import type { WorkingSet } from './working-set.js';

/**
 * Webhook events are written with the effect they tell of: in the same commit as the result
 * row (the outbox pattern), with one pending delivery for each of the account's enabled
 * endpoints that wants the type. An endpoint added later is told of later events only (as
 * Stripe's are). Ids are random, from here (the edge): a job that runs again after a failed
 * commit makes new ones, and only one run is ever committed.
 */
export class EventWriter {
  constructor(
    private readonly set: WorkingSet,
    private readonly accountId: string,
    private readonly endpoints: readonly WebhookEndpointRecord[],
    /**
     * The server's time, when the deliveries are due: an event's own time is its account's
     * (a test clock may run ahead), but the worker delivers on the server's clock.
     */
    private readonly deliverAt: number,
    /** The document's notificationURL endpoint (a Bitcoin Invoice's), stored or to store. */
    private readonly notifications?: { endpoint: WebhookEndpointRecord; stored: boolean },
  ) {}

  /**
   * A BitPay notification (the invoice's JSON) for the invoice's notificationURL: an
   * `invoice.notification` event, delivered by the same machinery to the endpoint that stands
   * for that URL (made with the first notification; the account sees and may rotate it).
   */
  notify(documentId: string, url: string, body: JsonObject, at: number): void {
    const target = this.notifications;
    if (target === undefined || target.endpoint.url !== url) return;
    if (!target.stored) {
      this.set.rows.webhookEndpoints.push({ ...target.endpoint, createdAt: this.deliverAt });
      target.stored = true;
    }
    const id = newId('evt');
    this.set.rows.events.push({
      id,
      accountId: this.accountId,
      type: 'invoice.notification',
      documentId,
      createdAt: at,
      data: { url, body },
    });
    this.set.rows.deliveries.push(pendingDelivery(id, target.endpoint, this.deliverAt));
  }

  add(type: EventType, documentId: string | null, data: JsonObject, at: number): string {
    const id = newId('evt');
    this.set.rows.events.push({
      id,
      accountId: this.accountId,
      type,
      documentId,
      createdAt: at,
      data,
    });
    for (const endpoint of this.endpoints)
      if (wants(endpoint, type))
        this.set.rows.deliveries.push(pendingDelivery(id, endpoint, this.deliverAt));
    return id;
  }
}

/** A delivery of an event to an endpoint, due at once. */
export function pendingDelivery(
  eventId: string,
  endpoint: Pick<WebhookEndpointRecord, 'id' | 'accountId'>,
  at: number,
): DeliveryRecord {
  return {
    id: newId('dlv'),
    eventId,
    endpointId: endpoint.id,
    accountId: endpoint.accountId,
    state: 'pending',
    attempts: 0,
    nextAttemptAt: at,
    leaseUntil: null,
    createdAt: at,
    deliveredAt: null,
  };
}

/**
 * Does an enabled endpoint want events of this type (null: every type but BitPay
 * notifications, which go only to the notificationURL they name)?
 */
export function wants(endpoint: WebhookEndpointRecord, type: string): boolean {
  if (endpoint.status !== 'enabled') return false;
  if (endpoint.events === null) return type !== NOTIFICATION_EVENT;
  return endpoint.events.includes(type);
}

/** The event type of a BitPay notification (the body is the invoice, as BitPay posts it). */
export const NOTIFICATION_EVENT = 'invoice.notification';

/** The id of the endpoint that stands for an account's notificationURL (one per URL). */
export function notificationEndpointId(accountId: string, url: string): string {
  const digest = createHash('sha256').update(`${accountId}\n${url}`).digest('base64url');
  return `we_notify_${digest.slice(0, 20)}`;
}

export function isNotificationEndpoint(id: string): boolean {
  return id.startsWith('we_notify_');
}

/**
 * The endpoint a document's BitPay notifications go to: its `notificationURL`, when it has
 * one (a Bitcoin Invoice's), stored already or made now (stored with its first notification).
 */
export async function notificationEndpoint(
  store: Pick<Store, 'webhookEndpoint'>,
  record: DocumentRecord,
): Promise<{ endpoint: WebhookEndpointRecord; stored: boolean } | undefined> {
  // The URL the invoice was opened with (its rules may change the document's field later),
  // else, for the document being created, the field itself.
  const invoices = (record.book as { invoices?: Record<string, { notificationURL?: unknown }> })
    .invoices;
  const invoice =
    invoices !== undefined && Object.hasOwn(invoices, record.id) ? invoices[record.id] : undefined;
  const opened = invoice?.notificationURL;
  const url = opened ?? scalarOf(record.state.notificationURL);
  if (typeof url !== 'string' || url === '') return undefined;
  const id = notificationEndpointId(record.ownerId, url);
  const stored = await store.webhookEndpoint(id);
  if (stored !== undefined) return { endpoint: stored, stored: true };
  const endpoint = newEndpointRecord(
    id,
    record.ownerId,
    { url, events: [NOTIFICATION_EVENT], description: 'BitPay notificationURL' },
    record.createdAt,
  );
  return { stored: false, endpoint };
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

/** A new, enabled endpoint with a secret of its own. */
export function newEndpointRecord(
  id: string,
  accountId: string,
  endpoint: { url: string; events: string[] | null; description: string | null },
  at: number,
): WebhookEndpointRecord {
  return {
    id,
    accountId,
    url: endpoint.url,
    events: endpoint.events,
    description: endpoint.description,
    secret: newWebhookSecret(),
    previousSecret: null,
    previousSecretUntil: null,
    status: 'enabled',
    createdAt: at,
    failingSince: null,
    disabledAt: null,
  };
}
