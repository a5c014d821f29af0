// Entry point of the supervised sandbox's child process (forked by worker-process.ts; nothing
// imports it). It runs the in-process host and answers requests strictly in arrival order,
// which is what lets the supervisor tell which request was running when it had to kill us.
import { Worker } from 'node:worker_threads';
import { useGuestRuntimeSource } from './guest-runtime.js';
import { IsolateHost } from './isolate-host.js';
import type { PreparedOutcome } from './script-call.js';
import { prepareCall } from './script-call.js';
import type { ScriptUsage } from './sandbox.js';
import type { WorkerMessage } from './worker-protocol.js';
import { isRunRequest, isRuntimeMessage } from './worker-protocol.js';

const send = process.send?.bind(process);
if (send === undefined) {
  process.stderr.write(
    'sandbox-worker must be started by the supervised sandbox (no IPC channel)\n',
  );
  process.exit(2);
}

const host = new IsolateHost({
  // V8 has lost the isolate: nothing in this process can be trusted any more. The supervisor
  // sees the exit, fails the running request and starts a fresh worker.
  onCatastrophicError: (message) => {
    process.stderr.write(`isolated-vm catastrophic error: ${message}\n`);
    process.exit(70);
  },
});

// A step stuck inside a V8 builtin blocks this thread, so the 'disconnect' below would never be
// seen if the supervisor died meanwhile: a watcher thread ends the process once it is orphaned.
const orphanWatcher = new Worker(
  `const { ppid } = process;
  setInterval(() => { if (process.ppid !== ppid) process.kill(process.pid, 'SIGKILL'); }, 500);`,
  { eval: true, execArgv: [] },
);
orphanWatcher.unref();

function post(message: WorkerMessage): void {
  send?.(message);
}

process.on('message', (message: unknown) => {
  if (isRuntimeMessage(message)) {
    start(message.source);
    return;
  }
  if (!isRunRequest(message)) return;
  let outcome: PreparedOutcome;
  const usage: ScriptUsage = {};
  try {
    outcome = host.runPrepared(message.call, message.limits, usage);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    outcome = {
      ok: false,
      code: 'sandbox_unavailable',
      message: `sandbox worker failure: ${reason}`,
    };
  }
  post({
    type: 'result',
    id: message.id,
    outcome,
    ...(usage.cpuMs === undefined ? {} : { cpuMs: usage.cpuMs }),
  });
});

// The supervisor went away (or closed us): nothing left to serve.
process.on('disconnect', () => process.exit(0));

let started = false;

// Build the isolate and compile once before saying ready, so that the first request after a
// restart does not pay for it.
function start(runtimeSource: string): void {
  if (started) return;
  started = true;
  useGuestRuntimeSource(runtimeSource);
  host.runPrepared(
    prepareCall({
      code: 'return {};',
      stepName: 'warm-up',
      event: null,
      entry: null,
      document: null,
      steps: {},
      currentContract: null,
    }),
  );
  post({ type: 'ready' });
}

// The supervisor answers with the guest runtime's source (worker-protocol.ts RuntimeMessage).
post({ type: 'hello' });
