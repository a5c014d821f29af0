import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The project root: `paydoc serve` runs from here (tsx and src/ resolve against it). */
export const PROJECT_ROOT = join(import.meta.dirname, '../../..');

/** How a server process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options of {@link startServerProcess}. */
export interface ServerProcessOptions {
  db: string;
  /** PAYDOC_API_KEY: the first account's key. */
  apiKey: string;
  /** PAYDOC_ADMIN_KEY: the operator's key (for `paydoc accounts …` against this server). */
  adminKey?: string;
  /** Give up (and kill the process group) when it is not listening after this long. */
  startupTimeoutMs?: number;
  /** More environment for the server (e.g. the webhook settings). */
  env?: Record<string, string>;
}

const LISTENING = /paydoc listening on (http:\/\/\S+)/;

/**
 * `paydoc serve` as a real child process, alone in its own process group (`detached`), so
 * that a SIGKILL to the group takes its sandbox workers down with it, as a machine crash would.
 */
export class ServerProcess {
  readonly pid: number;
  /** Resolves when the server process (not its group) has exited. */
  readonly exited: Promise<ProcessExit>;
  private readonly child: ChildProcess;
  private output = '';
  private exit: ProcessExit | undefined;

  private constructor(child: ChildProcess) {
    if (child.pid === undefined) throw new Error('paydoc serve could not be spawned');
    this.child = child;
    this.pid = child.pid;
    const keep = (chunk: string): void => {
      this.output = (this.output + chunk).slice(-64 * 1024);
    };
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  /** Spawns `paydoc serve --port 0 --db FILE` and resolves once it prints its URL. */
  static async start(
    options: ServerProcessOptions,
  ): Promise<{ server: ServerProcess; url: string }> {
    const child = spawn(
      process.execPath,
      [
        '--no-node-snapshot',
        '--import',
        'tsx',
        'src/cli/main.ts',
        'serve',
        '--port',
        '0',
        '--db',
        options.db,
      ],
      {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          PAYDOC_API_KEY: options.apiKey,
          ...(options.adminKey === undefined ? {} : { PAYDOC_ADMIN_KEY: options.adminKey }),
          LOG_LEVEL: 'warn',
          ...options.env,
        },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const server = new ServerProcess(child);
    const url = await server.listening(options.startupTimeoutMs ?? 30_000);
    return { server, url };
  }

  /**
   * Spawns `paydoc <args…>` (e.g. `serve --port 3000 --db FILE`) the way {@link start} does,
   * without waiting for anything: for a server that is expected not to start.
   */
  static spawn(args: string[], env: Record<string, string> = {}): ServerProcess {
    const child = spawn(
      process.execPath,
      ['--no-node-snapshot', '--import', 'tsx', 'src/cli/main.ts', ...args],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, LOG_LEVEL: 'warn', ...env },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return new ServerProcess(child);
  }

  /** Resolves with the URL once a spawned server prints it (rejects if it exits first). */
  waitListening(timeoutMs = 30_000): Promise<string> {
    return this.listening(timeoutMs);
  }

  /** Everything the process printed (stdout and stderr, the last 64 KiB). */
  get log(): string {
    return this.output;
  }

  /** How the process ended, if it has. */
  get exitStatus(): ProcessExit | undefined {
    return this.exit;
  }

  /** Sends a signal to the whole process group (the server and its sandbox workers). */
  signalGroup(signal: NodeJS.Signals): void {
    signalGroup(this.pid, signal);
  }

  /** Sends a signal to the server process only (a graceful stop closes its workers itself). */
  signal(signal: NodeJS.Signals): void {
    if (this.exit === undefined) this.child.kill(signal);
  }

  /** SIGKILL to the group; resolves when the server has exited and no member of the group runs. */
  async crash(): Promise<ProcessExit> {
    this.signalGroup('SIGKILL');
    const exit = await this.exited;
    await waitForGroupGone(this.pid, 5_000);
    return exit;
  }

  private listening(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (outcome: { url: string } | { error: Error }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.child.stdout?.off('data', check);
        if ('url' in outcome) resolve(outcome.url);
        else reject(outcome.error);
      };
      // Registered after the constructor's listener, so the output already holds the chunk.
      const check = (): void => {
        const url = LISTENING.exec(this.output)?.[1];
        if (url !== undefined) finish({ url });
      };
      const timer = setTimeout(() => {
        this.signalGroup('SIGKILL');
        finish({
          error: new Error(`paydoc serve was not listening after ${timeoutMs} ms:\n${this.output}`),
        });
      }, timeoutMs);
      this.child.stdout?.on('data', check);
      void this.exited.then((exit) =>
        finish({
          error: new Error(
            `paydoc serve exited (${exit.code ?? exit.signal}) before listening:\n${this.output}`,
          ),
        }),
      );
      check();
    });
  }
}

/** `kill(-pgid, signal)`, ignoring a group that is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Processes of the group that still run. Zombies do not count: in a container whose init does
 * not reap orphans, a killed sandbox worker stays a zombie, yet it holds nothing any more.
 * Without /proc, any member (as `kill(-pgid, 0)` sees it) counts.
 */
export function liveGroupMembers(pgid: number): number[] {
  if (!existsSync('/proc/self/stat')) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const live: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X')
      live.push(Number(name));
  }
  return live;
}

/** Waits until no member of the group runs; throws naming the survivors after `timeoutMs`. */
export async function waitForGroupGone(pgid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = liveGroupMembers(pgid);
    if (live.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`process group ${pgid} still runs after ${timeoutMs} ms: ${live.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
