import { DocumentEngine } from '../../engine/document-engine.js';
import type { NewAccount } from '../../engine/document-engine.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { defaultTypeRegistry } from '../../types/load-library.js';
import type { CliIo, ExitCode } from '../io.js';

/**
 * `paydoc accounts create <email>`: an account (with its timeline) and a new API key, written
 * straight to the database (safe while the server runs: SQLite WAL). An existing account gets
 * one more key.
 */
export async function createAccountCommand(
  email: string,
  options: { db?: string; json?: boolean },
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
    io.err(`paydoc accounts create: ${JSON.stringify(email)} is not an email address`);
    return 2;
  }
  const store = new SqliteStore(options.db ?? env.PAYDOC_DB ?? 'paydoc.db');
  try {
    await store.migrate();
    const engine = new DocumentEngine({ store, context: { registry: defaultTypeRegistry() } });
    await engine.start();
    let created: NewAccount | undefined;
    await engine.createAccount(email, (outcome) => {
      if (outcome.ok) created = outcome.value;
      return { statusCode: outcome.ok ? 201 : 400, body: null };
    });
    await engine.close();
    if (created === undefined) {
      io.err('paydoc accounts create: the account could not be created');
      return 1;
    }
    const { account, apiKey } = created;
    io.out(
      options.json
        ? JSON.stringify({ accountId: account.id, email, timelineId: account.timelineId, apiKey })
        : `account ${account.id} (${email}), timeline ${account.timelineId}\nAPI key: ${apiKey}`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
