import type { FastifyInstance } from 'fastify';
import type { AccountCreated, NewAccount } from '../../../src/engine/accounts.js';
import {
  createAccount,
  ensureOperator,
  newApiKey,
  OPERATOR_ACCOUNT,
} from '../../../src/engine/accounts.js';
import { DocumentEngine } from '../../../src/engine/document-engine.js';
import { buildApp } from '../../../src/http/app.js';
import type { RateWindow } from '../../../src/http/bitpay/invoice-rate-limit.js';
import { IsolateHost } from '../../../src/sandbox/isolate-host.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { defaultTypeRegistry } from '../../../src/types/load-library.js';
import { DocumentValidator } from '../../../src/validation/document-validator.js';

export interface TestApp {
  app: FastifyInstance;
  engine: DocumentEngine;
  store: SqliteStore;
  /** Creates an account (or a new key for an existing one), as the operator would. */
  account(email: string): Promise<NewAccount>;
  /** The operator's key (made when the app was built). */
  operatorKey: string;
  close(): Promise<void>;
}

/**
 * The real app on a real SQLite store, driven through app.inject(). The sandbox is the
 * in-process host: these tests are about HTTP, the supervised mode has its own tests.
 */
export async function testApp(
  options: {
    db?: string;
    bodyLimit?: number;
    clock?: () => number;
    invoiceLimits?: readonly RateWindow[];
    webhookAllowPrivate?: boolean;
  } = {},
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
  const operatorKey = newApiKey();
  await engine.write({
    work: (set, at) => ensureOperator(set, store, at, operatorKey),
    respond: (outcome) => {
      if (!outcome.ok) throw new Error(outcome.error.message);
      return { statusCode: 200, body: null };
    },
  });
  const app = await buildApp({
    engine,
    registry,
    validator,
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...(options.invoiceLimits === undefined ? {} : { invoiceLimits: options.invoiceLimits }),
    ...(options.webhookAllowPrivate === undefined
      ? {}
      : { webhookAllowPrivate: options.webhookAllowPrivate }),
  });
  return {
    app,
    engine,
    store,
    operatorKey,
    account: async (email) => {
      let made: AccountCreated | undefined;
      const { apiKey } = await createAccount(engine, OPERATOR_ACCOUNT.id, email, (outcome) => {
        if (outcome.ok) made = outcome.value;
        return { statusCode: outcome.ok ? 201 : 400, body: null };
      });
      if (made === undefined || apiKey === undefined) throw new Error(`no account for ${email}`);
      return { ...made, apiKey };
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

type JsonMap = Record<string, unknown>;

/** A posted document's contracts, as the server answered them. */
export function contractsOf(document: JsonMap): Record<string, JsonMap> {
  return document.contracts as Record<string, JsonMap>;
}

/** A posted document's id (its initialised marker's documentId). */
export function documentIdOf(document: JsonMap): string {
  return String(contractsOf(document).initialized?.documentId);
}

/** The timeline the server bound a contract of a posted document to. */
export function timelineOf(document: JsonMap, contract: string): string {
  return String(contractsOf(document)[contract]?.timelineId);
}
