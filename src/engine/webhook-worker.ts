import type { JobWriter } from './accounts.js';
import { endpointJson, endpointsKey, latestEndpoint } from './webhook-endpoints.js';
import { newId, NOTIFICATION_EVENT, pendingDelivery, wants } from './webhook-events.js';
import type { JsonObject } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import type { Store } from '../store/store.js';
import type { DeliveryRecord, StoredEvent, WebhookEndpointRecord } from '../store/store-records.js';
import { postWebhook } from '../outbox/post-webhook.js';
import { MAX_RETRY_WINDOW_MS, nextAttemptAt } from '../outbox/retry-schedule.js';
import type { ResolveAll } from '../outbox/url-safety.js';
import { checkWebhookUrl, resolveSafeAddress } from '../outbox/url-safety.js';
import { signWebhook } from '../outbox/webhook-signing.js';

/**
 * The webhook delivery worker (issue 14): it claims due deliveries (a lease in the store, so
 * that a crashed worker's claims come back once their lease runs out, and two servers never
 * send one delivery at once), POSTs each event to its endpoint with the Standard Webhooks
 * headers, and writes the attempt and what comes next: delivered on a 2xx; else retried on the
 * backoff schedule (retry-schedule.ts) until three days after the first attempt, then failed.
 * An endpoint that fails for a whole retry window (three days, or every attempt of a
 * delivery that gave up, with no success between) is disabled, and its account is told.
 *
 * At least once: an attempt is written after the POST, so a crash between the two sends the
 * event again; receivers deduplicate by `webhook-id` (the event id, the same on every
 * attempt). A slow or dead endpoint delays nobody else: at most {@link PER_ENDPOINT} of an
 * endpoint's deliveries are claimed or in flight, and at most `maxInFlight` in all. (There is
 * no share per account yet: one account's many slow endpoints can take every slot.)
 */

const PER_ENDPOINT = 8;

export interface WebhookWorkerOptions {
  store: Store;
  /** Writes through the engine's commit queue. */
  writer: JobWriter;
  clock?: () => number;
  random?: () => number;
  /** Development and tests: http and private addresses allowed (PAYDOC_WEBHOOK_ALLOW_PRIVATE=1). */
  allowPrivate?: boolean;
  /** The retry schedule's time scale (1: three days; tests compress it). */
  timeScale?: number;
  timeoutMs?: number;
  maxInFlight?: number;
  /** How long a claim holds before another worker may take the delivery. */
  leaseMs?: number;
  /** The longest the worker sleeps between looks at the store. */
  pollMs?: number;
  /** Tests: how names resolve (default: the system's resolver). */
  lookup?: ResolveAll;
  /** Tests: certificates to trust instead of the system's (PEM). */
  ca?: string;
}

export class WebhookWorker {
  private readonly store: Store;
  private readonly writer: JobWriter;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly allowPrivate: boolean;
  private readonly timeScale: number;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly lookup: ResolveAll | undefined;
  private readonly ca: string | undefined;
  private readonly inFlight = new Map<string, number>();
  private readonly ids = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private total = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(options: WebhookWorkerOptions) {
    this.store = options.store;
    this.writer = options.writer;
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.allowPrivate = options.allowPrivate ?? false;
    this.timeScale = options.timeScale ?? 1;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxInFlight = options.maxInFlight ?? 32;
    // Past the longest an attempt can take (its timeout, then writing it down).
    this.leaseMs = options.leaseMs ?? this.timeoutMs * 2 + 5_000;
    this.pollMs = options.pollMs ?? 250;
    this.lookup = options.lookup;
    this.ca = options.ca;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Looks at the store now (a commit brought deliveries that are due). */
  kick(): void {
    if (!this.stopped && this.total < this.maxInFlight) this.schedule(0);
  }

  /** Stops claiming; resolves once the deliveries in flight are written. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await Promise.allSettled([...this.running]);
  }

  /** Claims what is due now and starts sending it; resolves with how many it claimed. */
  async tick(): Promise<number> {
    const room = this.maxInFlight - this.total;
    if (room <= 0) return 0;
    const now = this.clock();
    const claimed = await this.store.claimDueDeliveries(now, room, now + this.leaseMs, {
      perEndpoint: PER_ENDPOINT,
      busy: this.inFlight,
    });
    for (const delivery of claimed) {
      // Ours already (its lease ran out while the attempt went on): one attempt at a time.
      if (this.ids.has(delivery.id)) continue;
      this.ids.add(delivery.id);
      this.inFlight.set(delivery.endpointId, (this.inFlight.get(delivery.endpointId) ?? 0) + 1);
      this.total += 1;
      const run = this.deliver(delivery)
        .catch(() => undefined)
        .finally(() => {
          this.ids.delete(delivery.id);
          this.total -= 1;
          const left = (this.inFlight.get(delivery.endpointId) ?? 1) - 1;
          if (left <= 0) this.inFlight.delete(delivery.endpointId);
          else this.inFlight.set(delivery.endpointId, left);
          this.running.delete(run);
          if (!this.stopped) this.schedule(0);
        });
      this.running.add(run);
    }
    return claimed.length;
  }

  /** Resolves once nothing is in flight (tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), delay);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    this.timer = undefined;
    let claimed = 0;
    try {
      claimed = await this.tick();
    } catch {
      // The store was busy or closing: look again at the next poll.
    }
    if (this.stopped) return;
    const next = await this.store.nextDeliveryAt().catch(() => undefined);
    // Due deliveries this look could not take are those of endpoints at their share (or the
    // worker is full): a delivery that ends wakes the worker, so it does not spin meanwhile.
    const wait =
      next === undefined || (claimed === 0 && next <= this.clock())
        ? this.pollMs
        : Math.max(0, next - this.clock());
    this.schedule(Math.min(wait, this.pollMs));
  }

  private async deliver(delivery: DeliveryRecord): Promise<void> {
    const [endpoint, event] = await Promise.all([
      this.store.webhookEndpoint(delivery.endpointId),
      this.store.event(delivery.eventId),
    ]);
    const attempt = delivery.attempts + 1;
    const started = this.clock();
    if (endpoint === undefined || event === undefined || endpoint.status !== 'enabled') {
      await this.settle(delivery, endpoint, attempt, {
        statusCode: null,
        latencyMs: 0,
        error: 'the endpoint is no longer enabled',
        final: true,
        ok: false,
      });
      return;
    }
    // A BitPay notification is the invoice itself, as BitPay posts it; every other event is
    // the event as GET /events/{id} shows it.
    const body = JSON.stringify(
      event.type === NOTIFICATION_EVENT && isJsonObject(event.data.body)
        ? event.data.body
        : eventBody(event),
    );
    const secrets =
      endpoint.previousSecret !== null && (endpoint.previousSecretUntil ?? 0) > started
        ? [endpoint.secret, endpoint.previousSecret]
        : [endpoint.secret];
    const headers = {
      ...signWebhook(event.id, started, body, secrets),
      'content-type': 'application/json',
      'user-agent': 'paydoc-webhooks/1',
    };
    const outcome = await this.post(endpoint.url, headers, body);
    await this.settle(delivery, endpoint, attempt, { ...outcome, final: false });
  }

  private async post(
    url: string,
    headers: Record<string, string>,
    body: string,
  ): Promise<{ ok: boolean; statusCode: number | null; latencyMs: number; error: string | null }> {
    const options = { allowPrivate: this.allowPrivate };
    const checked = checkWebhookUrl(url, options);
    if (!checked.ok)
      return { ok: false, statusCode: null, latencyMs: 0, error: checked.error.message };
    // Resolved at each connection, and the connection made to the address checked: a name
    // that resolves elsewhere by the time of the POST (DNS rebinding) is refused here.
    // The name is resolved within the attempt's deadline: a nameserver that never answers
    // costs this attempt its timeout, and no more.
    const address = await withDeadline(
      resolveSafeAddress(checked.value.hostname, options, this.lookup),
      this.timeoutMs,
    );
    if (address === undefined)
      return { ok: false, statusCode: null, latencyMs: this.timeoutMs, error: 'timeout' };
    if (!address.ok)
      return { ok: false, statusCode: null, latencyMs: 0, error: address.error.message };
    return postWebhook({ url, address: address.value.address }, headers, body, {
      timeoutMs: this.timeoutMs,
      maxResponseBytes: 4096,
      ...(this.ca === undefined ? {} : { ca: this.ca }),
    });
  }

  private async settle(
    delivery: DeliveryRecord,
    endpoint: WebhookEndpointRecord | undefined,
    attempt: number,
    outcome: {
      ok: boolean;
      statusCode: number | null;
      latencyMs: number;
      error: string | null;
      final: boolean;
    },
  ): Promise<void> {
    await this.writer.write({
      // With the account's other endpoint changes (rotation, deletion, other results), so
      // that the endpoint's health below is read as the group leaves it, never overwritten.
      key: endpointsKey(delivery.accountId),
      respond: () => ({ statusCode: 200, body: null }),
      work: async (set, at) => {
        const next =
          outcome.ok || outcome.final
            ? null
            : nextAttemptAt(delivery.createdAt, attempt, at, {
                scale: this.timeScale,
                random: this.random,
              });
        set.rows.deliveryAttempts.push({
          deliveryId: delivery.id,
          attempt,
          at,
          statusCode: outcome.statusCode,
          latencyMs: Math.round(outcome.latencyMs),
          error: outcome.error,
          nextAttemptAt: next,
        });
        set.rows.deliveryUpdates.push({
          id: delivery.id,
          state: outcome.ok ? 'delivered' : next === null ? 'failed' : 'pending',
          attempts: attempt,
          nextAttemptAt: next,
          leaseUntil: null,
          deliveredAt: outcome.ok ? at : null,
        });
        if (endpoint === undefined || outcome.final) return { ok: true, value: null };
        // The endpoint's health, from the stored row (another delivery may have changed it).
        const current = (await latestEndpoint(set, this.store, endpoint.id)) ?? endpoint;
        if (current.status !== 'enabled') return { ok: true, value: null };
        if (outcome.ok) {
          if (current.failingSince !== null)
            set.rows.webhookEndpoints.push({ ...current, failingSince: null });
          return { ok: true, value: null };
        }
        const since = current.failingSince ?? at;
        // Disabled once it has failed for the whole retry window: for three days, or through
        // every attempt of a delivery that gave up, with no success in between.
        const firstAt =
          attempt === 1 ? at : ((await this.store.deliveryAttempts(delivery.id))[0]?.at ?? at);
        const gaveUp = next === null && since <= firstAt;
        if (!gaveUp && at - since < MAX_RETRY_WINDOW_MS * this.timeScale) {
          if (current.failingSince === null)
            set.rows.webhookEndpoints.push({ ...current, failingSince: since });
          return { ok: true, value: null };
        }
        set.rows.webhookEndpoints.push({
          ...current,
          failingSince: since,
          status: 'disabled',
          disabledAt: at,
        });
        const eventId = newId('evt');
        set.rows.events.push({
          id: eventId,
          accountId: current.accountId,
          type: 'webhook_endpoint.disabled',
          documentId: null,
          createdAt: at,
          data: { endpoint: endpointJson(current), failingSince: since },
        });
        // The account's other endpoints that want it are told.
        for (const other of await this.store.webhookEndpoints(current.accountId))
          if (other.id !== current.id && wants(other, 'webhook_endpoint.disabled'))
            set.rows.deliveries.push(pendingDelivery(eventId, other, at));
        return { ok: true, value: null };
      },
    });
  }
}

/** What a receiver gets: the event as `GET /events/{id}` shows it. */
export function eventBody(event: StoredEvent): JsonObject {
  return {
    id: event.id,
    type: event.type,
    created: event.createdAt,
    account: event.accountId,
    documentId: event.documentId,
    data: event.data,
  };
}

/** `promise`, or undefined once `ms` have passed. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
