// What the host and the guest runtime agree on. Both sides import this module (the guest
// through the bundle), so it must stay pure: constants only, no imports from Node.

/**
 * How the guest runtime reports one call back to the host: the first character tags the rest.
 * `V` + JSON text of the step's value; `E` + message of a script error; `L` + `line:col:` +
 * message of a script error thrown from the step's code at that place of the compiled function
 * (the host puts it back where the author wrote it); `M` (+ a message the host does not show: a
 * memory failure reads the same whichever allocation failed) for a memory-limit failure
 * detected inside the guest (an allocation V8 refused, or the array guard).
 */
export const GUEST_RESULT_TAGS = { value: 'V', error: 'E', located: 'L', memory: 'M' } as const;

/**
 * Name of the hidden last parameter of every compiled step: the frozen `blue:` module object
 * that the `import … from 'blue:…'` lines are rewritten to read from.
 */
export const BLUE_MODULE_PARAMETER = '__paydocBlueModule';

/** Name of the hidden parameter through which rewritten code reaches the guard. */
export const GUARD_PARAMETER = '__paydocGuard';
/**
 * Name of the hidden parameter in which every rewritten `catch` first records what it caught,
 * by a plain assignment: that needs no stack, so it happens even where calling the guard would
 * overflow the stack once more (and a `finally` then passes the record to the guard).
 */
export const THROWN_PARAMETER = '__paydocThrown';

// The messages V8 gives the errors guest code cannot catch. The longest string, typed array and
// BigInt are V8's constants, but whether a step gets there before it runs out of memory is not:
// they go with the others. (An invalid array length is an argument error, the same on every
// run: it stays catchable.)
export const STACK_OVERFLOW = 'Maximum call stack size exceeded';
export const ALLOCATION_FAILED = 'Array buffer allocation failed';
export const SIZE_LIMITS: readonly string[] = [
  'Invalid string length',
  'Maximum BigInt size exceeded',
];
export const TYPED_ARRAY_LENGTH = 'Invalid typed array length';

// Longest accepted step result (JSON text) and its deepest nesting: documents are small, and
// whatever a step returns is later canonicalised, patched and stored by recursive host code.
export const MAX_RESULT_CHARS = 4 * 1024 * 1024;
export const MAX_RESULT_DEPTH = 256;
export const MAX_MESSAGE_CHARS = 2000;

/** The guest runtime's entry points, as the host holds them (through isolated-vm references). */
export interface GuestRuntime {
  /** Compiles a step body under `id`; returns '' on success, else the syntax error's message. */
  compile(id: number, prologue: string, body: string): string;
  /**
   * Runs step `id`; returns a tagged result (see {@link GUEST_RESULT_TAGS}). `clockSource` and
   * `clockOrigin` are the call's ScriptClock ('' for absent), which the refusals of
   * `Date.now()` and `new Date()` name.
   */
  invoke(
    id: number,
    argsJson: string,
    documentJson: string,
    contractJson: string,
    clockSource: string,
    clockOrigin: string,
  ): string;
  /** Forgets step `id` (evicted from the host's cache). */
  release(id: number): void;
}

/**
 * What the host hands the guest runtime when it boots it (the closure parameters of
 * `evalClosureSync`, see guest-runtime.ts). Every function is an isolated-vm callback: strings
 * and numbers in and out, and whatever it throws is rethrown in the guest.
 */
export interface GuestHost {
  /** A WIF in, its public key hex out. */
  publicKeyFromWif(wif: string): string;
  /** Two hex public keys in, the 2-of-2 wallet as JSON text out. */
  multisig(pubKeyA: string, pubKeyB: string): string;
  /** In process: `document(pointer)` read by the host, as JSON text ('' when absent). */
  readDocument(pointer: string): string;
  /** The BlueId of a node given as JSON text (the guest cannot hash). */
  blueId(nodeJson: string): string;
  /** The longest array the guest may create. */
  maxArrayLength: number;
}
