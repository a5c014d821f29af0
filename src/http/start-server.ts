import type { FastifyInstance } from 'fastify';
import { DocumentEngine, hashApiKey, newApiKey } from '../engine/document-engine.js';
import { TimerScheduler } from '../engine/timer-scheduler.js';
import { SupervisedSandbox } from '../sandbox/supervised-sandbox.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { defaultTypeRegistry } from '../types/load-library.js';
import { DocumentValidator } from '../validation/document-validator.js';
import { buildApp } from './app.js';

/** Options of {@link startServer}; the CLI fills them from flags and the environment. */
export interface ServerOptions {
  /** SQLite file (`:memory:` for a throwaway server). */
  db: string;
  port: number;
  host?: string;
  /** Use this API key for the first account instead of a random one. */
  apiKey?: string;
  /** Sandbox worker processes (default 2: one stuck on a hostile script does not stop the rest). */
  workers?: number;
  bodyLimit?: number;
  logger?: boolean | { level: string };
}

/** A running server. */
export interface RunningServer {
  app: FastifyInstance;
  engine: DocumentEngine;
  url: string;
  /** The key of the account created on first start (or given as apiKey), if one was made. */
  firstKey?: { email: string; apiKey: string };
  close(): Promise<void>;
}

export const FIRST_ACCOUNT_EMAIL = 'merchant@paydoc.test';

/**
 * Opens the store (migrating it), starts the supervised sandbox, the engine, the timer
 * scheduler and the HTTP server. On an empty database it creates a first account and returns
 * its key; with `apiKey` given, that key is made to work on every start.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const store = new SqliteStore(options.db);
  await store.migrate();
  const registry = defaultTypeRegistry();
  const validator = new DocumentValidator(registry);
  const sandbox = new SupervisedSandbox({ workers: options.workers ?? 2 });
  const engine = new DocumentEngine({ store, context: { registry, sandbox, validator } });
  await engine.start();
  const firstKey = await ensureFirstAccount(engine, options.apiKey);
  const app = await buildApp({
    engine,
    registry,
    validator,
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const scheduler = new TimerScheduler(engine);
  const url = await app.listen({ port: options.port, host: options.host ?? '127.0.0.1' });
  scheduler.start();
  return {
    app,
    engine,
    url,
    ...(firstKey === undefined ? {} : { firstKey }),
    close: async () => {
      await scheduler.stop();
      await app.close();
      await engine.close();
      await sandbox.close();
      await store.close();
    },
  };
}

async function ensureFirstAccount(
  engine: DocumentEngine,
  apiKey: string | undefined,
): Promise<{ email: string; apiKey: string } | undefined> {
  const store = engine.store;
  // The processor's own account is always there; "empty" means no other.
  const empty = (await store.countAccounts()) <= 1;
  if (apiKey !== undefined) {
    if ((await store.accountByKeyHash(hashApiKey(apiKey))) !== undefined) return undefined;
  } else if (!empty) return undefined;
  const key = apiKey ?? newApiKey();
  const reply = await engine.createAccount(
    FIRST_ACCOUNT_EMAIL,
    (outcome) => ({ statusCode: outcome.ok ? 201 : 400, body: null }),
    key,
  );
  if (reply.statusCode !== 201) throw new Error('could not create the first account');
  return { email: FIRST_ACCOUNT_EMAIL, apiKey: key };
}
