// The guest runtime's entry point: the module esbuild bundles (guest-runtime.ts) and the
// isolate evaluates once per context. Importing the modules captures the intrinsics; booting
// hardens the context (deterministic profile, no code generation from strings, frozen
// intrinsics) in a fixed order and returns the three entry points the host calls.
import { GUEST_GLOBALS } from '../guest-api.js';
import { installArrayGuard } from './arrays.js';
import { createBlueModule } from './blue-module.js';
import { installDates, installLocaleDefaults, setClock } from './dates.js';
import { beginDocument, connectDocument, endDocument, readDocument } from './document.js';
import { stepFrame } from './error-location.js';
import { guard, guardState, isMemoryFailure, isUncatchable, ownMessage } from './guard.js';
import {
  allowOverrides,
  blockCodeGeneration,
  hardenAll,
  hiddenIntrinsics,
  removeNondeterministicGlobals,
  removeProxy,
} from './hardening.js';
import type { AnyFunction } from './intrinsics.js';
import {
  apply,
  construct,
  freeze,
  G,
  getPrototypeOf,
  jsonParse,
  objectKeys,
  RealFunction,
  RealPromise,
  stringSlice,
} from './intrinsics.js';
import { installJsonStringify } from './json-stringify.js';
import { messageOf } from './message-of.js';
import { installPromise } from './promises.js';
import type { GuestHost, GuestRuntime } from './protocol.js';
import { GUEST_RESULT_TAGS, MAX_MESSAGE_CHARS } from './protocol.js';
import { serialize } from './serialize.js';
import { STEP_PARAMETERS, stepFunctionBody } from './step-source.js';

const GUEST_PARAMETERS: readonly string[] = GUEST_GLOBALS;
const DOCUMENT_INDEX = GUEST_PARAMETERS.indexOf('document');
const CONTRACT_INDEX = GUEST_PARAMETERS.indexOf('currentContract');

/** Boots the runtime in this context. Called once, before any guest code exists. */
export function bootGuestRuntime(host: GuestHost): GuestRuntime {
  blockCodeGeneration();
  removeNondeterministicGlobals();
  const PaydocDate = installDates();
  installLocaleDefaults();
  const PaydocArray = installArrayGuard(host.maxArrayLength);
  removeProxy();
  allowOverrides();
  installPromise();
  installJsonStringify();
  const blueModule = createBlueModule(host);
  connectDocument(host.readDocument, host.blueId);

  const compiledSteps: (AnyFunction | undefined)[] = [];

  // What an error that the guard stops says: always the same, whichever allocation or frame
  // failed.
  function uncatchableFailure(error: unknown): string {
    if (isMemoryFailure(error)) return GUEST_RESULT_TAGS.memory;
    return `${GUEST_RESULT_TAGS.error}RangeError: ${ownMessage(error) ?? ''}`;
  }

  function failure(error: unknown): string {
    if (guardState.poisoned) return uncatchableFailure(guardState.poison);
    if (isUncatchable(error)) {
      guardState.poisoned = true;
      guardState.poison = error;
      return uncatchableFailure(error);
    }
    let message: string;
    try {
      message = messageOf(error);
    } catch {
      // messageOf poisoned the call (a guest getter overflowed the stack)
      if (guardState.poisoned) return uncatchableFailure(guardState.poison);
      message = 'a value that cannot be shown was thrown';
    }
    let at: string | undefined;
    try {
      at = stepFrame(error, message);
    } catch {
      // reading the stack poisoned the call, as messageOf can
      if (guardState.poisoned) return uncatchableFailure(guardState.poison);
    }
    const shown =
      message.length > MAX_MESSAGE_CHARS
        ? `${apply(stringSlice, message, [0, MAX_MESSAGE_CHARS]) as string}…`
        : message;
    return at === undefined
      ? GUEST_RESULT_TAGS.error + shown
      : `${GUEST_RESULT_TAGS.located}${at}:${shown}`;
  }

  function compile(id: number, prologue: string, body: string): string {
    try {
      compiledSteps[id] = construct(RealFunction, [
        ...STEP_PARAMETERS,
        stepFunctionBody(prologue, body),
      ]) as AnyFunction;
      return '';
    } catch (error) {
      return messageOf(error);
    }
  }

  // The last currentContract parsed, deep-frozen so that sharing it between calls is safe.
  let lastContractJson: string | null = null;
  let lastContract: unknown = null;
  function frozenParse(json: string): unknown {
    const value: unknown = jsonParse(json);
    const pending = [value];
    while (pending.length > 0) {
      const next = pending.pop();
      if (next !== null && typeof next === 'object') {
        freeze(next);
        for (const key of objectKeys(next)) pending.push((next as Record<string, unknown>)[key]);
      }
    }
    return value;
  }

  function invoke(
    id: number,
    argsJson: string,
    documentText: string,
    contractJson: string,
    clockSource: string,
    clockOrigin: string,
  ): string {
    const step = compiledSteps[id];
    let outcome: string;
    beginDocument(documentText);
    setClock(clockSource, clockOrigin);
    guardState.poisoned = false;
    guardState.poison = undefined;
    guardState.lastCaught = undefined;
    try {
      const args = jsonParse(argsJson) as unknown[];
      args[DOCUMENT_INDEX] = readDocument;
      if (contractJson !== lastContractJson) {
        lastContract = frozenParse(contractJson);
        lastContractJson = contractJson;
      }
      args[CONTRACT_INDEX] = lastContract;
      args[GUEST_PARAMETERS.length] = blueModule;
      args[GUEST_PARAMETERS.length + 1] = guard;
      const result: unknown = apply(step as AnyFunction, undefined, args);
      if (result === undefined) {
        outcome = `${GUEST_RESULT_TAGS.error}step must return a value`;
      } else if (result instanceof RealPromise) {
        outcome = `${GUEST_RESULT_TAGS.error}step returned a Promise: async steps are not supported`;
      } else {
        // Any JSON value is a result (as in the reference processor): a number, text or list
        // is the step's result as it is; only an object's `events` are emitted (run-step.ts).
        outcome = GUEST_RESULT_TAGS.value + serialize(result);
      }
    } catch (error) {
      outcome = failure(error);
    }
    // However the step ended: once the guard stopped an error, that error is the outcome.
    if (
      !guardState.poisoned &&
      guardState.lastCaught !== undefined &&
      isUncatchable(guardState.lastCaught)
    ) {
      guardState.poisoned = true;
      guardState.poison = guardState.lastCaught;
    }
    if (guardState.poisoned) outcome = uncatchableFailure(guardState.poison);
    guardState.lastCaught = undefined;
    guardState.poison = undefined;
    endDocument();
    setClock('', '');
    return outcome;
  }

  function release(id: number): void {
    compiledSteps[id] = undefined;
  }

  hardenAll([
    G,
    blueModule,
    readDocument,
    PaydocDate,
    PaydocArray,
    ...hiddenIntrinsics,
    getPrototypeOf([][Symbol.iterator]()),
    getPrototypeOf(new Map()[Symbol.iterator]()),
    getPrototypeOf(new Set()[Symbol.iterator]()),
    getPrototypeOf(''[Symbol.iterator]()),
    getPrototypeOf('a'.matchAll(/a/g)),
  ]);

  return freeze({ compile, invoke, release });
}
