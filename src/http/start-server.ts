import type { FastifyInstance } from 'fastify';
import {
  addAccount,
  addApiKey,
  ensureOperator,
  hashApiKey,
  OPERATOR_ACCOUNT,
} from '../engine/accounts.js';
import { DocumentEngine, PROCESSOR_ACCOUNT } from '../engine/document-engine.js';
import { PaydocError } from '../errors/paydoc-error.js';
import { TimerScheduler } from '../engine/timer-scheduler.js';
import { WebhookWorker } from '../engine/webhook-worker.js';
import { timeScaleFromEnv } from '../outbox/retry-schedule.js';
import { SupervisedSandbox } from '../sandbox/supervised-sandbox.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { defaultTypeRegistry } from '../types/load-library.js';
import { DocumentValidator } from '../validation/document-validator.js';
import { buildApp } from './app.js';
import type { ResolveAll } from '../outbox/url-safety.js';

/** Options of {@link startServer}; the CLI fills them from flags and the environment. */
export interface ServerOptions {
  /** SQLite file (`:memory:` for a throwaway server). */
  db: string;
  port: number;
  host?: string;
  /** Use this API key for the first account instead of a random one. */
  apiKey?: string;
  /** Use this key as the operator's instead of a random one (made to work on every start). */
  adminKey?: string;
  /** Sandbox worker processes (default 2: one stuck on a hostile script does not stop the rest). */
  workers?: number;
  bodyLimit?: number;
  logger?: boolean | { level: string };
  /**
   * Webhooks to http and private addresses (development, tests). Default: the environment's
   * PAYDOC_WEBHOOK_ALLOW_PRIVATE=1, else off.
   */
  webhookAllowPrivate?: boolean;
  /**
   * The webhook retry schedule's scale (1: retries for three days). Default: the environment's
   * PAYDOC_WEBHOOK_TIME_SCALE, else 1; tests compress it.
   */
  webhookTimeScale?: number;
  /** How long a webhook POST may take (default 10 s). */
  webhookTimeoutMs?: number;
  /**
   * The origin the server is reached at, for the URLs it hands out (an invoice's checkout
   * page). Default: the environment's PAYDOC_PUBLIC_URL, else each request's own origin.
   */
  publicUrl?: string;
  /** Tests: certificates webhook receivers are trusted by (PEM), instead of the system's. */
  webhookCa?: string;
  /** Tests: how webhook hosts resolve, instead of the system's resolver. */
  webhookLookup?: ResolveAll;
}

/**
 * PAYDOC_WEBHOOK_TIMEOUT_MS: how long a webhook POST may take (default 10 s; tests shorten
 * it, and with it how long a crashed server's claims hold).
 */
function webhookTimeoutFromEnv(env: NodeJS.ProcessEnv): number {
  const ms = Number(env.PAYDOC_WEBHOOK_TIMEOUT_MS ?? '');
  return Number.isInteger(ms) && ms >= 100 && ms <= 60_000 ? ms : 10_000;
}

/** A running server. */
export interface RunningServer {
  app: FastifyInstance;
  engine: DocumentEngine;
  url: string;
  /** The key of the account created on first start (or given as apiKey), if one was made. */
  firstKey?: { email: string; apiKey: string };
  /** The operator's key, when this start created the operator or made adminKey one of its keys. */
  operatorKey?: { email: string; apiKey: string };
  close(): Promise<void>;
}

export const FIRST_ACCOUNT_EMAIL = 'merchant@paydoc.test';

/**
 * Opens the store (migrating it), starts the supervised sandbox, the engine, the timer
 * scheduler and the HTTP server. On an empty database it creates the operator account and a
 * first merchant account and returns their keys; with `adminKey` and `apiKey` given, those
 * keys are made to work on every start.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const store = new SqliteStore(options.db);
  await store.migrate();
  const registry = defaultTypeRegistry();
  const validator = new DocumentValidator(registry);
  const sandbox = new SupervisedSandbox({ workers: options.workers ?? 2 });
  const engine = new DocumentEngine({ store, context: { registry, sandbox, validator } });
  let keys: Keys;
  try {
    await engine.start();
    keys = await ensureAccounts(engine, options);
  } catch (error) {
    // Refused keys end the start: leave no sandbox worker or open database behind.
    await engine.close();
    await sandbox.close();
    await store.close();
    throw error;
  }
  const { firstKey, operatorKey } = keys;
  const webhookAllowPrivate =
    options.webhookAllowPrivate ?? process.env.PAYDOC_WEBHOOK_ALLOW_PRIVATE === '1';
  const scale = options.webhookTimeScale ?? timeScaleFromEnv(process.env);
  const publicUrl = options.publicUrl ?? process.env.PAYDOC_PUBLIC_URL;
  let app: FastifyInstance | undefined;
  let closing = false;
  let url: string;
  try {
    app = await buildApp({
      engine,
      registry,
      validator,
      webhookAllowPrivate,
      ...(publicUrl === undefined || publicUrl === '' ? {} : { publicUrl }),
      ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    // While closing, every answer ends its connection: a keep-alive connection that was busy
    // when the close began would otherwise hold the close up until it times out (72 s).
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (closing) reply.header('connection', 'close');
      done(null, payload);
    });
    url = await app.listen({ port: options.port, host: options.host ?? '127.0.0.1' });
  } catch (error) {
    // A busy port (EADDRINUSE) or an address not ours: stop what was started, so that the
    // process can exit, and let the caller say why.
    await app?.close();
    await engine.close();
    await sandbox.close();
    await store.close();
    throw error;
  }
  const server = app;
  const scheduler = new TimerScheduler(engine);
  scheduler.start();
  const webhooks = new WebhookWorker({
    store,
    writer: engine,
    allowPrivate: webhookAllowPrivate,
    timeScale: scale,
    timeoutMs: options.webhookTimeoutMs ?? webhookTimeoutFromEnv(process.env),
    ...(options.webhookCa === undefined ? {} : { ca: options.webhookCa }),
    ...(options.webhookLookup === undefined ? {} : { lookup: options.webhookLookup }),
  });
  webhooks.start();
  // New deliveries are sent at once, not at the next poll.
  engine.onCommit((batch) => {
    if (batch.deliveries.length > 0 || batch.deliveryUpdates.length > 0) webhooks.kick();
  });
  return {
    app: server,
    engine,
    url,
    ...(firstKey === undefined ? {} : { firstKey }),
    ...(operatorKey === undefined ? {} : { operatorKey }),
    close: async () => {
      closing = true;
      await scheduler.stop();
      await webhooks.close();
      await server.close();
      await engine.close();
      await sandbox.close();
      await store.close();
    },
  };
}

type Keys = {
  firstKey?: { email: string; apiKey: string };
  operatorKey?: { email: string; apiKey: string };
};

/**
 * The operator (with `adminKey`, or a random key when it is new) and the first merchant
 * account (on an empty database, or with `apiKey` when that is not a key yet), in one commit.
 */
async function ensureAccounts(
  engine: DocumentEngine,
  options: Pick<ServerOptions, 'apiKey' | 'adminKey'>,
): Promise<Keys> {
  const { apiKey, adminKey } = options;
  if (apiKey !== undefined && apiKey === adminKey)
    throw new Error('PAYDOC_ADMIN_KEY and PAYDOC_API_KEY must be different keys');
  const store = engine.store;
  // The server's own accounts are always there; "empty" means no other.
  let internal = 0;
  for (const id of [PROCESSOR_ACCOUNT.id, OPERATOR_ACCOUNT.id])
    if ((await store.accountById(id)) !== undefined) internal += 1;
  const empty = (await store.countAccounts()) <= internal;
  let wantMerchant = empty;
  if (apiKey !== undefined) {
    const holder = await store.accountByKeyHash(hashApiKey(apiKey));
    if (holder?.id === OPERATOR_ACCOUNT.id)
      throw new Error("PAYDOC_API_KEY is one of the operator's keys; give the merchant another");
    wantMerchant = holder === undefined;
  }
  const keys: Keys = {};
  let refused: string | undefined;
  try {
    await engine.write<null>({
      work: async (set, at) => {
        const operator = await ensureOperator(set, store, at, adminKey);
        if (!operator.ok) return operator;
        if (operator.value !== undefined)
          keys.operatorKey = { email: OPERATOR_ACCOUNT.email, apiKey: operator.value };
        if (wantMerchant) {
          const account =
            (await set.accountByEmail(FIRST_ACCOUNT_EMAIL)) ??
            addAccount(set, FIRST_ACCOUNT_EMAIL, at);
          keys.firstKey = {
            email: FIRST_ACCOUNT_EMAIL,
            apiKey: addApiKey(set, account.id, at, apiKey).apiKey,
          };
        }
        return { ok: true, value: null };
      },
      respond: (outcome) => {
        if (!outcome.ok) refused = outcome.error.message;
        return { statusCode: outcome.ok ? 200 : 400, body: null };
      },
    });
  } catch (error) {
    if (error instanceof PaydocError && error.code === 'store_conflict')
      throw new Error(
        'PAYDOC_ADMIN_KEY or PAYDOC_API_KEY is a revoked key (a revoked key never works again); choose a new one',
        { cause: error },
      );
    throw error;
  }
  if (refused !== undefined) throw new Error(`PAYDOC_ADMIN_KEY: ${refused}`);
  return keys;
}
