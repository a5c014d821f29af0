/**
 * The names a JavaScript Code step can see, in the order the compiled step function receives
 * them. `types/sandbox.d.ts` declares exactly these (a test keeps the two in line), and the
 * isolate host builds the step function's parameter list from this list.
 */
export const GUEST_GLOBALS = ['event', 'entry', 'document', 'steps', 'currentContract'] as const;

/** One name from {@link GUEST_GLOBALS}. */
export type GuestGlobal = (typeof GUEST_GLOBALS)[number];

/** What `import { … } from 'blue:…'` can bind: the exports of the built-in `blue:` module. */
export const BLUE_MODULE_EXPORTS = ['bitcoinjs'] as const;

/** One name from {@link BLUE_MODULE_EXPORTS}. */
export type BlueModuleExport = (typeof BLUE_MODULE_EXPORTS)[number];
