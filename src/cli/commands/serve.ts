import type { RunningServer } from '../../http/start-server.js';
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
  const host = options.host ?? env.HOST ?? '127.0.0.1';
  let server: RunningServer;
  try {
    server = await startServer({
      db,
      port,
      host,
      ...(env.PAYDOC_API_KEY ? { apiKey: env.PAYDOC_API_KEY } : {}),
      ...(env.PAYDOC_ADMIN_KEY ? { adminKey: env.PAYDOC_ADMIN_KEY } : {}),
      logger: { level: env.LOG_LEVEL ?? 'warn' },
    });
  } catch (error) {
    // startServer has stopped what it started: say why and exit.
    const refused = listenRefusal((error as NodeJS.ErrnoException).code, host, port);
    if (refused === undefined) throw error;
    io.err(`paydoc serve: ${refused}`);
    return 1;
  }
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
  const signal = await stopped;
  io.out(`paydoc: ${String(signal)}, shutting down`);
  // Queued writes are committed and new ones refused (overloaded) while it closes; whatever
  // still holds on after the deadline (a stuck socket or worker) does not keep the process.
  let deadline: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    server.close().then(() => true),
    new Promise<false>(
      (resolve) => (deadline = setTimeout(() => resolve(false), CLOSE_DEADLINE_MS)),
    ),
  ]);
  clearTimeout(deadline);
  if (!closed)
    io.err(`paydoc serve: still closing after ${CLOSE_DEADLINE_MS / 1000} s; exiting anyway`);
  return 0;
}

/** How long a shutdown may take before the process exits anyway (SIGTERM: within 10 s). */
const CLOSE_DEADLINE_MS = 7_000;

/** What to say when the server cannot listen, or undefined for another failure. */
function listenRefusal(code: string | undefined, host: string, port: number): string | undefined {
  switch (code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is already in use (another server?); stop it or choose another with --port or PORT`;
    case 'EACCES':
      return `may not listen on port ${port} on ${host} (a port below 1024 needs privileges); choose another with --port or PORT`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine; choose another with --host or HOST (port ${port})`;
    default:
      return undefined;
  }
}
