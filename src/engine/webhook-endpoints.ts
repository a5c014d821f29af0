import type { JsonObject } from '../model/json.js';
import type { Store } from '../store/store.js';
import type { WebhookEndpointRecord } from '../store/store-records.js';
import { newWebhookSecret } from '../outbox/webhook-signing.js';
import type { JobWriter, Respond } from './accounts.js';
import type { IdempotencyClaim, Job } from './commit-queue.js';
import { isEventType } from './event-catalogue.js';
import type { Outcome, Reply } from './outcome.js';
import { failure } from './outcome.js';
import type { WorkingSet } from './working-set.js';
import {
  isNotificationEndpoint,
  newEndpointRecord,
  newId,
  NOTIFICATION_EVENT,
  notificationEndpointId,
  pendingDelivery,
  wants,
} from './webhook-events.js';

/**
 * Webhook endpoints (issue 14), as Stripe's: an account registers a URL and the event types it
 * wants (all when none are named), gets the signing secret once, may rotate it (the old one
 * goes on signing beside the new for {@link ROTATION_OVERLAP_MS}, so receivers can switch
 * without losing a delivery) and delete the endpoint. Where the URL may point is checked by
 * the caller first (url-safety.ts), at registration and again at every connection.
 */

export const MAX_WEBHOOK_ENDPOINTS = 16;
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

/** What writes here: the engine (its commit queue) and the store it commits to. */
export interface EndpointWriter extends JobWriter {
  readonly store: Store;
}

export interface NewEndpoint {
  url: string;
  events: string[] | null;
  description: string | null;
}

/** An endpoint as the API shows it: never its secrets. */
export function endpointJson(endpoint: WebhookEndpointRecord): JsonObject {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    description: endpoint.description,
    status: endpoint.status,
    created: endpoint.createdAt,
    failingSince: endpoint.failingSince,
    disabledAt: endpoint.disabledAt,
  };
}

/** Reads `{url, events?, description?}` (the URL's safety is checked elsewhere). */
export function readNewEndpoint(body: JsonObject): Outcome<NewEndpoint> {
  const { url, events, description } = body;
  if (typeof url !== 'string' || url === '')
    return failure('invalid_request', 'url is a string', '/url');
  if (description !== undefined && (typeof description !== 'string' || description.length > 500))
    return failure(
      'invalid_request',
      'description is a string of at most 500 characters',
      '/description',
    );
  let wanted: string[] | null = null;
  if (events !== undefined) {
    if (!Array.isArray(events) || events.length === 0 || events.length > 64)
      return failure('invalid_request', 'events is a list of 1 to 64 event types', '/events');
    wanted = [];
    for (const [index, type] of events.entries()) {
      if (type === NOTIFICATION_EVENT)
        return failure(
          'unknown_event_type',
          `${NOTIFICATION_EVENT} goes only to the notificationURL of the invoice it is about`,
          `/events/${index}`,
        );
      if (typeof type !== 'string' || !isEventType(type))
        return failure(
          'unknown_event_type',
          `${JSON.stringify(type)} is not an event type (GET /docs lists the catalogue, docs/webhooks.md too)`,
          `/events/${index}`,
        );
      if (!wanted.includes(type)) wanted.push(type);
    }
  }
  return { ok: true, value: { url, events: wanted, description: description ?? null } };
}

/** Registers an endpoint; the reply holds its secret, once. */
export function createEndpoint(
  writer: EndpointWriter,
  accountId: string,
  endpoint: NewEndpoint,
  respond: Respond<{ endpoint: WebhookEndpointRecord }>,
  idempotency?: IdempotencyClaim,
): Promise<Reply> {
  return writeEndpoints(writer, accountId, respond, idempotency, async (set, at) => {
    // The endpoints that stand for invoices' notificationURLs are not the account's to count.
    const existing = (await writer.store.webhookEndpoints(accountId)).filter(
      (endpoint) => !isNotificationEndpoint(endpoint.id),
    );
    // Endpoints an earlier job of this group created (not the rows it changed).
    const added = new Set(
      set.rows.webhookEndpoints
        .filter((row) => row.accountId === accountId && !isNotificationEndpoint(row.id))
        .map((row) => row.id),
    );
    for (const endpoint of existing) added.delete(endpoint.id);
    if (existing.length + added.size >= MAX_WEBHOOK_ENDPOINTS)
      return failure(
        'too_many_webhook_endpoints',
        `an account has at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints; delete one first`,
      );
    const record = newEndpointRecord(newId('we'), accountId, endpoint, at);
    set.rows.webhookEndpoints.push(record);
    return { ok: true, value: { endpoint: record } };
  });
}

/** A new secret; the old one signs beside it for a day. */
export function rotateEndpointSecret(
  writer: EndpointWriter,
  accountId: string,
  endpointId: string,
  respond: Respond<{ endpoint: WebhookEndpointRecord }>,
  idempotency?: IdempotencyClaim,
): Promise<Reply> {
  return changeEndpoint(writer, accountId, endpointId, respond, idempotency, (endpoint, at) => ({
    ...endpoint,
    secret: newWebhookSecret(),
    previousSecret: endpoint.secret,
    previousSecretUntil: at + ROTATION_OVERLAP_MS,
  }));
}

/** Deletes an endpoint: it gets nothing more (its pending deliveries fail). */
export function deleteEndpoint(
  writer: EndpointWriter,
  accountId: string,
  endpointId: string,
  respond: Respond<{ endpoint: WebhookEndpointRecord }>,
): Promise<Reply> {
  return changeEndpoint(writer, accountId, endpointId, respond, undefined, (endpoint) => ({
    ...endpoint,
    status: 'deleted',
  }));
}

function changeEndpoint(
  writer: EndpointWriter,
  accountId: string,
  endpointId: string,
  respond: Respond<{ endpoint: WebhookEndpointRecord }>,
  idempotency: IdempotencyClaim | undefined,
  change: (endpoint: WebhookEndpointRecord, at: number) => WebhookEndpointRecord,
): Promise<Reply> {
  return writeEndpoints(writer, accountId, respond, idempotency, async (set, at) => {
    const stored = await latestEndpoint(set, writer.store, endpointId);
    // Another account's endpoint reads exactly like one that does not exist.
    if (stored === undefined || stored.accountId !== accountId || stored.status === 'deleted')
      return failure('not_found', `no webhook endpoint ${endpointId}`, 'id');
    const next = change(stored, at);
    set.rows.webhookEndpoints.push(next);
    return { ok: true, value: { endpoint: next } };
  });
}

/** A job on an account's endpoints, under their one key (see {@link latestEndpoint}). */
function writeEndpoints<T>(
  writer: EndpointWriter,
  accountId: string,
  respond: Respond<T>,
  idempotency: IdempotencyClaim | undefined,
  work: Job<T>['work'],
): Promise<Reply> {
  return writer.write({
    idempotency,
    key: endpointsKey(accountId),
    lane: accountId,
    respond,
    work,
  });
}

/**
 * Sends an event again (Stripe's resend): a new delivery, due now, to each endpoint that wants
 * it (a BitPay notification: to its notificationURL's only). The deliveries before are left as
 * they are, in flight or not, so an attempt under way cannot be overwritten, and the new one
 * has a retry window of its own.
 */
export function redeliverEvent(
  writer: EndpointWriter,
  accountId: string,
  eventId: string,
  respond: Respond<{ deliveries: number }>,
  idempotency?: IdempotencyClaim,
): Promise<Reply> {
  return writer.write({
    idempotency,
    key: `event ${eventId}`,
    lane: accountId,
    respond,
    work: async (set, at) => {
      const event = await writer.store.event(eventId);
      if (event === undefined || event.accountId !== accountId)
        return failure('not_found', `no event ${eventId}`, 'id');
      const url = event.data.url;
      const targets = (await writer.store.webhookEndpoints(accountId)).filter((endpoint) =>
        event.type === NOTIFICATION_EVENT
          ? typeof url === 'string' && endpoint.id === notificationEndpointId(accountId, url)
          : wants(endpoint, event.type),
      );
      for (const endpoint of targets)
        set.rows.deliveries.push(pendingDelivery(eventId, endpoint, at));
      return { ok: true, value: { deliveries: targets.length } };
    },
  });
}

/**
 * An endpoint as the commit being built will leave it: its last row in this working set (an
 * earlier job of the group changed it), else the stored one. Every job that changes endpoints
 * runs under the key `webhook endpoints <account>`, so within one server no change is lost.
 */
export async function latestEndpoint(
  set: WorkingSet,
  store: Pick<Store, 'webhookEndpoint'>,
  id: string,
): Promise<WebhookEndpointRecord | undefined> {
  const pushed = set.rows.webhookEndpoints.filter((row) => row.id === id).at(-1);
  return pushed ?? (await store.webhookEndpoint(id));
}

/** The key every job that changes an account's endpoints runs under. */
export function endpointsKey(accountId: string): string {
  return `webhook endpoints ${accountId}`;
}
