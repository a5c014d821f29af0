import type { PreparedCall, PreparedOutcome } from './script-call.js';
import type { ScriptLimits } from './sandbox.js';

/** Supervisor → worker: run one step. The worker answers requests in the order they arrive. */
export interface RunRequestMessage {
  type: 'run';
  id: number;
  call: PreparedCall;
  limits: ScriptLimits;
}

/**
 * Supervisor → worker, once, in answer to {@link HelloMessage}: the guest runtime's source
 * (guest-runtime.ts), bundled once by the supervisor's process rather than again by every
 * worker it starts or restarts.
 */
export interface RuntimeMessage {
  type: 'runtime';
  source: string;
}

/**
 * Worker → supervisor, first: the worker listens and needs the runtime. (A message sent before
 * the worker's module had installed its listener would be lost, so the worker asks.)
 */
export interface HelloMessage {
  type: 'hello';
}

/** Worker → supervisor: the worker has built its isolate and takes requests. */
export interface ReadyMessage {
  type: 'ready';
}

/** Worker → supervisor: the outcome of request `id`, and the CPU time it ran when known. */
export interface ResultMessage {
  type: 'result';
  id: number;
  outcome: PreparedOutcome;
  cpuMs?: number;
}

/** Anything the worker sends. */
export type WorkerMessage = HelloMessage | ReadyMessage | ResultMessage;

/** True for a well-formed {@link RunRequestMessage}. */
export function isRunRequest(value: unknown): value is RunRequestMessage {
  if (!isRecord(value) || value.type !== 'run' || typeof value.id !== 'number') return false;
  const { call, limits } = value;
  return (
    isRecord(call) &&
    typeof call.code === 'string' &&
    typeof call.stepName === 'string' &&
    typeof call.argsJson === 'string' &&
    typeof call.documentJson === 'string' &&
    typeof call.contractJson === 'string' &&
    isClock(call.clock) &&
    isRecord(limits) &&
    typeof limits.cpuMs === 'number' &&
    typeof limits.memoryMb === 'number'
  );
}

/** True for a well-formed {@link RuntimeMessage}. */
export function isRuntimeMessage(value: unknown): value is RuntimeMessage {
  return isRecord(value) && value.type === 'runtime' && typeof value.source === 'string';
}

/** True for a well-formed {@link WorkerMessage}. */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (!isRecord(value)) return false;
  if (value.type === 'ready' || value.type === 'hello') return true;
  if (value.type !== 'result' || typeof value.id !== 'number') return false;
  const { outcome, cpuMs } = value;
  if (!isRecord(outcome) || (cpuMs !== undefined && typeof cpuMs !== 'number')) return false;
  return outcome.ok === true
    ? typeof outcome.valueJson === 'string'
    : typeof outcome.code === 'string' &&
        typeof outcome.message === 'string' &&
        (outcome.location === undefined || isLocation(outcome.location));
}

function isClock(value: unknown): boolean {
  return (
    isRecord(value) &&
    (value.source === undefined || typeof value.source === 'string') &&
    (value.origin === undefined || typeof value.origin === 'string')
  );
}

function isLocation(value: unknown): boolean {
  return isRecord(value) && typeof value.line === 'number' && typeof value.col === 'number';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
