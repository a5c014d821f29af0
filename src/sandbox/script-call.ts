import type { JsonValue } from '../model/json.js';
import type { GuestGlobal } from './guest-api.js';
import { GUEST_GLOBALS } from './guest-api.js';
import type {
  ScriptClock,
  ScriptFailureCode,
  ScriptInput,
  ScriptLimits,
  ScriptLocation,
  ScriptOutcome,
} from './sandbox.js';
import { DEFAULT_SCRIPT_LIMITS } from './sandbox.js';

/**
 * One step call with its inputs already serialised: what crosses the isolate boundary and the
 * supervised child's IPC channel. Values go as JSON text so that nothing but strings ever
 * reaches guest code (no isolated-vm handles, no host objects).
 */
export interface PreparedCall {
  code: string;
  stepName: string;
  /** JSON array of the guest parameters in {@link GUEST_GLOBALS} order; `document` is null. */
  argsJson: string;
  /** JSON of the document snapshot, parsed inside the guest on the first `document()` read. */
  documentJson: string;
  /**
   * JSON of `currentContract`, apart from the other arguments: a workflow's node is the same
   * object event after event, so its text is cached here and the guest reuses its frozen parse.
   */
  contractJson: string;
  /** The call's {@link ScriptClock}, filled in (`event.timestamp` where the input has one). */
  clock: ScriptClock;
}

const contractTexts = new WeakMap<object, string>();

function contractText(contract: JsonValue): string {
  if (contract === null || typeof contract !== 'object') return JSON.stringify(contract ?? null);
  let text = contractTexts.get(contract);
  if (text === undefined) {
    text = JSON.stringify(contract);
    contractTexts.set(contract, text);
  }
  return text;
}

/** The outcome of a {@link PreparedCall}: the step's value stays JSON text. */
export type PreparedOutcome =
  | { ok: true; valueJson: string }
  | { ok: false; code: ScriptFailureCode; message: string; location?: ScriptLocation };

// isolated-vm refuses isolates smaller than 8 MB.
const MIN_MEMORY_MB = 8;

/** Serialises a step's inputs for {@link PreparedCall}. */
export function prepareCall(input: ScriptInput): PreparedCall {
  const byName: Record<GuestGlobal, JsonValue> = {
    event: input.event,
    entry: input.entry ?? null,
    document: null,
    steps: input.steps,
    currentContract: null,
  };
  return {
    code: input.code,
    stepName: input.stepName,
    argsJson: JSON.stringify(GUEST_GLOBALS.map((name) => byName[name] ?? null)),
    documentJson: JSON.stringify(input.document ?? null),
    contractJson: contractText(input.currentContract),
    clock: clockOf(input),
  };
}

/**
 * The clock hint of a call: the caller's, its source filled in from the input when the caller
 * gave none. Computed here, before the call crosses to either sandbox, so that both say the same.
 */
function clockOf(input: ScriptInput): ScriptClock {
  const given = input.clock ?? {};
  if (given.source !== undefined) return given;
  const source = hasTimestamp(input.event)
    ? 'event.timestamp'
    : hasTimestamp(input.entry)
      ? 'entry.timestamp'
      : undefined;
  return source === undefined ? given : { ...given, source };
}

function hasTimestamp(value: JsonValue | undefined): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.hasOwn(value, 'timestamp')
  );
}

/** Turns a prepared outcome back into the {@link ScriptOutcome} callers see. */
export function toScriptOutcome(outcome: PreparedOutcome): ScriptOutcome {
  if (!outcome.ok) return outcome;
  return { ok: true, value: JSON.parse(outcome.valueJson) as JsonValue };
}

/**
 * Fills in missing limits from `defaults` and checks them.
 *
 * @throws RangeError when a limit is not a positive finite number.
 */
export function resolveLimits(
  limits: Partial<ScriptLimits> | undefined,
  defaults: ScriptLimits = DEFAULT_SCRIPT_LIMITS,
): ScriptLimits {
  const cpuMs = limits?.cpuMs ?? defaults.cpuMs;
  const memoryMb = limits?.memoryMb ?? defaults.memoryMb;
  if (!Number.isFinite(cpuMs) || cpuMs <= 0)
    throw new RangeError(`cpuMs must be positive: ${cpuMs}`);
  if (!Number.isFinite(memoryMb) || memoryMb < MIN_MEMORY_MB) {
    throw new RangeError(`memoryMb must be at least ${MIN_MEMORY_MB}: ${memoryMb}`);
  }
  return { cpuMs, memoryMb: Math.floor(memoryMb) };
}

/**
 * Time allowed to compile a script the first time it is seen. Compiling is not the step's
 * work, so it does not come out of `cpuMs`, but it is bounded all the same; a small `cpuMs`
 * must not make a cold compile of an ordinary script fail.
 */
export function compileTimeoutMs(limits: ScriptLimits): number {
  return Math.max(limits.cpuMs, 100);
}
