import type { FastifyInstance } from 'fastify';
import { DocumentEngine } from '../../../src/engine/document-engine.js';
import type { NewAccount } from '../../../src/engine/document-engine.js';
import { buildApp } from '../../../src/http/app.js';
import { IsolateHost } from '../../../src/sandbox/isolate-host.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { defaultTypeRegistry } from '../../../src/types/load-library.js';
import { DocumentValidator } from '../../../src/validation/document-validator.js';

export interface TestApp {
  app: FastifyInstance;
  engine: DocumentEngine;
  store: SqliteStore;
  /** Creates an account (or a new key for an existing one). */
  account(email: string): Promise<NewAccount>;
  close(): Promise<void>;
}

/**
 * The real app on a real SQLite store, driven through app.inject(). The sandbox is the
 * in-process host: these tests are about HTTP, the supervised mode has its own tests.
 */
export async function testApp(
  options: { db?: string; bodyLimit?: number; clock?: () => number } = {},
): Promise<TestApp> {
  const store = new SqliteStore(options.db ?? ':memory:');
  await store.migrate();
  const registry = defaultTypeRegistry();
  const validator = new DocumentValidator(registry);
  const sandbox = new IsolateHost();
  const engine = new DocumentEngine({
    store,
    context: { registry, sandbox, validator },
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  await engine.start();
  const app = await buildApp({
    engine,
    registry,
    validator,
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
  });
  return {
    app,
    engine,
    store,
    account: async (email) => {
      let created: NewAccount | undefined;
      await engine.createAccount(email, (outcome) => {
        if (outcome.ok) created = outcome.value;
        return { statusCode: 201, body: null };
      });
      if (created === undefined) throw new Error(`no account for ${email}`);
      return created;
    },
    close: async () => {
      await app.close();
      await engine.close();
      await sandbox.close();
      await store.close();
    },
  };
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

export const YAML = { 'content-type': 'application/yaml' };
export const JSON_BODY = { 'content-type': 'application/json' };
