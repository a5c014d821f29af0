import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { guestRuntimeSource } from './guest-runtime.js';
import type { ResultMessage, RunRequestMessage, RuntimeMessage } from './worker-protocol.js';
import { isWorkerMessage } from './worker-protocol.js';

/** What a {@link WorkerProcess} reports to its owner. */
export interface WorkerProcessHandlers {
  onReady(): void;
  onResult(message: ResultMessage): void;
  /** The process is gone (exited, was killed, or could not be started). Called once. */
  onExit(code: number | null, signal: NodeJS.Signals | null): void;
}

/** Options of {@link WorkerProcess}. */
export interface WorkerProcessOptions {
  /** A process not ready after this long is killed (and reported through onExit). */
  startupTimeoutMs: number;
}

// Last bytes of the child's stderr kept for diagnostics (V8 prints why it aborted there).
const STDERR_TAIL_BYTES = 8 * 1024;

// Workers die with this process, however it exits (a busy worker would not notice the closed
// IPC channel until its step ends, which for a hostile step may be never).
const liveChildren = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

/**
 * One sandbox worker child process: `sandbox-worker` forked with `--no-node-snapshot` (which
 * isolated-vm needs) and, when running from TypeScript sources, tsx. Its time zone is UTC so
 * that the few time-zone dependent corners the guest runtime cannot pin (legacy date formats
 * in `Date.parse`) are deterministic too.
 */
export class WorkerProcess {
  /** Process id (undefined if the fork failed). */
  readonly pid: number | undefined;
  private readonly child: ChildProcess;
  /** When the process was forked (ms since the epoch). */
  readonly spawnedAt = Date.now();
  private stderr = '';
  private exited = false;
  private isReady = false;

  constructor(handlers: WorkerProcessHandlers, options: WorkerProcessOptions) {
    const entry = workerEntry();
    this.child = fork(entry.path, [], {
      execArgv: entry.execArgv,
      env: { ...process.env, TZ: 'UTC' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.pid = this.child.pid;
    liveChildren.add(this.child);
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    const startupTimer = setTimeout(() => this.kill(), options.startupTimeoutMs);
    startupTimer.unref();
    this.child.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) return;
      if (message.type === 'result') {
        handlers.onResult(message);
      } else if (message.type === 'hello') {
        const runtime: RuntimeMessage = { type: 'runtime', source: guestRuntimeSource() };
        if (this.child.connected) this.child.send(runtime);
      } else if (!this.isReady) {
        this.isReady = true;
        clearTimeout(startupTimer);
        handlers.onReady();
      }
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (this.exited) return;
      this.exited = true;
      liveChildren.delete(this.child);
      clearTimeout(startupTimer);
      handlers.onExit(code, signal);
    };
    this.child.on('exit', finish);
    // 'error' without 'exit' means the process could not be spawned at all.
    this.child.on('error', () => {
      if (
        this.child.exitCode === null &&
        this.child.signalCode === null &&
        this.child.pid === undefined
      ) {
        finish(null, null);
      }
    });
  }

  /** Whether the worker has said it is ready. */
  get ready(): boolean {
    return this.isReady && !this.exited;
  }

  /** Sends a request; false if the channel is already closed. */
  send(message: RunRequestMessage): boolean {
    if (this.exited || !this.child.connected) return false;
    this.child.send(message);
    return true;
  }

  /** Kills the process at once (SIGKILL): the only signal a blocked isolate cannot delay. */
  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  /** Asks the process to stop (SIGTERM) and resolves when it has, escalating to SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.kill(), graceMs);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.kill('SIGTERM');
    });
  }

  /** Whether this process keeps the parent's event loop alive (only while it has work). */
  setReferenced(referenced: boolean): void {
    if (referenced) {
      this.child.ref();
      this.child.channel?.ref();
    } else {
      this.child.unref();
      this.child.channel?.unref();
    }
  }

  /** The end of what the process wrote to stderr. */
  stderrTail(): string {
    return this.stderr;
  }
}

/** The worker script and the node flags it needs: the .ts source under tsx, or compiled .js. */
function workerEntry(): { path: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const path = fileURLToPath(
    new URL(fromSource ? './sandbox-worker.ts' : './sandbox-worker.js', import.meta.url),
  );
  const execArgv = ['--no-node-snapshot'];
  if (fromSource) execArgv.push('--import', tsxLoader());
  return { path, execArgv };
}

// Resolved from here rather than from the current directory, so a server started elsewhere
// still finds tsx.
function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}
