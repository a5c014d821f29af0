import { startServer } from '../../http/start-server.js';
import type { CliIo, ExitCode } from '../io.js';

export interface ServeOptions {
  port?: string;
  db?: string;
  host?: string;
}

/**
 * `paydoc serve`: the HTTP service on SQLite until SIGINT/SIGTERM. Flags win over PORT,
 * PAYDOC_DB and HOST; the defaults (3000, ./paydoc.db, 127.0.0.1) make `npm start` just work.
 * PAYDOC_ADMIN_KEY and PAYDOC_API_KEY choose the operator's and the first merchant's keys.
 */
export async function serveCommand(
  options: ServeOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
  stopped: Promise<unknown>,
): Promise<ExitCode> {
  const portText = options.port ?? env.PORT ?? '3000';
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    io.err(`paydoc serve: --port must be 0 to 65535, not ${JSON.stringify(portText)}`);
    return 2;
  }
  const db = options.db ?? env.PAYDOC_DB ?? 'paydoc.db';
  const server = await startServer({
    db,
    port,
    host: options.host ?? env.HOST ?? '127.0.0.1',
    ...(env.PAYDOC_API_KEY ? { apiKey: env.PAYDOC_API_KEY } : {}),
    ...(env.PAYDOC_ADMIN_KEY ? { adminKey: env.PAYDOC_ADMIN_KEY } : {}),
    logger: { level: env.LOG_LEVEL ?? 'warn' },
  });
  io.out(`paydoc listening on ${server.url} (database ${db}; docs at ${server.url}/docs)`);
  if (server.operatorKey !== undefined)
    io.out(
      env.PAYDOC_ADMIN_KEY
        ? 'the operator uses the key in PAYDOC_ADMIN_KEY'
        : `created the operator account; its key (shown once; it creates and lists accounts): ${server.operatorKey.apiKey}`,
    );
  if (server.firstKey !== undefined)
    io.out(
      env.PAYDOC_API_KEY
        ? `account ${server.firstKey.email} uses the key in PAYDOC_API_KEY`
        : `created account ${server.firstKey.email}; its API key (shown once): ${server.firstKey.apiKey}`,
    );
  await stopped;
  await server.close();
  return 0;
}
