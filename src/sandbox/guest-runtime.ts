import type * as Esbuild from 'esbuild';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  ALLOCATION_FAILED,
  SIZE_LIMITS,
  STACK_OVERFLOW,
  TYPED_ARRAY_LENGTH,
} from './guest/protocol.js';

export type { GuestHost, GuestRuntime } from './guest/protocol.js';
export { BLUE_MODULE_PARAMETER, GUEST_RESULT_TAGS } from './guest/protocol.js';

/**
 * How a call fails whose error guest code could not catch, from the error's message: `memory`
 * (script_memory), `error` (script_error `RangeError: <message>`), or undefined for any other
 * message. The host needs it where such an error reaches it past the runtime (isolated-vm fails
 * the call over a promise left rejected, which can happen when making the promise overflowed).
 */
export function uncatchableKind(message: string): 'memory' | 'error' | undefined {
  if (message === ALLOCATION_FAILED) return 'memory';
  if (
    message === STACK_OVERFLOW ||
    SIZE_LIMITS.includes(message) ||
    message.startsWith(TYPED_ARRAY_LENGTH)
  )
    return 'error';
  return undefined;
}

// The name the bundle's exports get inside the boot closure. A `var` of the closure, not a
// global of the context: guest code never sees it and cannot boot the runtime again.
const BUNDLE_NAME = '__paydocGuestRuntime';

/**
 * How the closure parameters reach the bundle: the bundle is an ordinary module that never
 * names `$0`…`$4`; the closure appends one call, `bootGuestRuntime({…})`, that hands them over
 * as a typed {@link GuestHost}. Parameters by position are isolated-vm's convention for
 * evalClosure, so they stay in this one line, next to the list isolate-host.ts passes:
 * `$0` the WIF callback, `$1` the longest array, `$2` the host document reader, `$3` the
 * multisig callback, `$4` the BlueId callback.
 */
const BOOT_CALL =
  `return ${BUNDLE_NAME}.bootGuestRuntime({ publicKeyFromWif: $0, maxArrayLength: $1, ` +
  'readDocument: $2, multisig: $3, blueId: $4 });';

let cachedSource: string | undefined;

/**
 * Uses `source` (a {@link guestRuntimeSource} of another process of this same code) instead of
 * bundling here: a supervised worker gets it from its supervisor.
 */
export function useGuestRuntimeSource(source: string): void {
  cachedSource = source;
}

/**
 * Source of the guest runtime for `context.evalClosureSync`: the modules under `guest/`,
 * bundled by esbuild into one script (built once per process, on first use, and kept), then
 * the boot call. Real modules rather than a string of JavaScript, so they are type-checked,
 * linted and tested like the rest — the way Temporal's workflow sandbox loads bundled code.
 */
export function guestRuntimeSource(): string {
  if (cachedSource !== undefined) return cachedSource;
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(
    new URL(fromSource ? './guest/entry.ts' : './guest/entry.js', import.meta.url),
  );
  // Loaded only here: a supervised worker, which is handed the source, never loads esbuild.
  const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof Esbuild;
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'neutral',
    target: 'es2022',
    globalName: BUNDLE_NAME,
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'silent',
    // Everything the bundle holds is this project's own pure code. A package or a Node builtin
    // would fail inside the isolate (or bring in what the guest must not have): packages are
    // left as imports, and any import left is refused below; a Node builtin does not resolve
    // on the neutral platform.
    packages: 'external',
    metafile: true,
  });
  const leftOver = Object.values(result.metafile.outputs).flatMap((out) => out.imports);
  if (leftOver.length > 0) {
    const names = leftOver.map((imported) => imported.path).join(', ');
    throw new Error(`the guest runtime cannot import ${names}`);
  }
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error('the guest runtime bundle is empty');
  // The closure body must be strict, as the modules are: esbuild writes the directive first.
  if (!output.text.startsWith('"use strict";'))
    throw new Error('the guest runtime bundle is not strict');
  cachedSource = `${output.text}\n${BOOT_CALL}\n`;
  return cachedSource;
}
