/**
 * What a paydoc "JavaScript Code" step sees (DESIGN.md §4.3, §5), for contract authors' editors.
 *
 * A step's `code` is the body of a strict-mode function that must `return` a JSON value. An
 * object's `events` list is emitted and its other fields become the step's result
 * (`steps.<name>` to later steps); any other value (a number, text, a list) is the result as it
 * is. The names below are that function's parameters; `src/sandbox/guest-api.ts` lists the
 * same names and a test keeps the two in line.
 *
 * The runtime is deterministic: `Date.now()`, `new Date()` without a value, `Math.random()`,
 * timers, `eval`, `Function`, `Proxy`, `Intl`, `WebAssembly`, async functions, `import()` and
 * async results are not available (take time from the event: `entry.timestamp` on a timeline
 * channel that delivers the message, else `event.timestamp`); dates use UTC wherever
 * JavaScript would use the local time zone; built-in objects are frozen. Values in and out are
 * plain JSON. What differs from run to run cannot be caught: a stack overflow, running out of
 * memory and the longest string or typed array end the step (`try`/`catch`/`finally` do not
 * see them). A step has 50 ms of CPU time, and all the steps of one event 200 ms together.
 *
 * This file is a global script on purpose (no top-level import or export), so that an editor
 * that includes it sees these names everywhere, and `declare module 'blue:*'` can match the
 * `import { bitcoinjs } from 'blue:…'` line.
 */

/** Types used by the declarations below. */
declare namespace PaydocScript {
  /** Any JSON value. */
  type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

  /** A JSON object. */
  interface JsonObject {
    [key: string]: JsonValue;
  }

  /** What a step may return: `events` to emit, anything else as its result. */
  interface StepResult {
    /** Events the document emits, in order (e.g. `{ type: 'Capture Payment', amount: 100 }`). */
    events?: JsonObject[];
    [field: string]: JsonValue | undefined;
  }

  /** A public key, shaped like the Node.js Buffer the seed's code expects. */
  interface PublicKey {
    /** Length in bytes: 33 for a compressed key, 65 for an uncompressed one. */
    readonly length: number;
    /** The key as lowercase hex; `'hex'` is the only encoding available. */
    toString(encoding: 'hex'): string;
  }

  /** A key pair derived from a private key; only its public half is visible to scripts. */
  interface KeyPair {
    /** The public key the private key derives (computed on the host by bitcoinjs-lib + ecpair). */
    readonly publicKey: PublicKey;
    /** Whether the WIF asked for the compressed public key. */
    readonly compressed: boolean;
  }

  /** The part of ecpair's `ECPair` API available to scripts. */
  interface ECPairAPI {
    /**
     * Decodes a WIF private key (mainnet or testnet) and derives its public key.
     *
     * @throws Error when `wif` is not a valid WIF private key.
     */
    fromWIF(wif: string): KeyPair;
  }

  /** A 2-of-2 multisig wallet (native segwit, P2WSH) on mainnet. */
  interface Multisig2of2 {
    /** The `bc1q…` address to pay into. */
    readonly address: string;
    /** `OP_2 <pubKeyA> <pubKeyB> OP_2 OP_CHECKMULTISIG` as lowercase hex; needed to spend. */
    readonly witnessScript: string;
  }

  /** The `bitcoinjs` export of the `blue:` module. */
  interface Bitcoinjs {
    readonly ECPair: ECPairAPI;
    /**
     * The mainnet 2-of-2 multisig wallet of two compressed hex public keys (computed on the
     * host by bitcoinjs-lib `payments.p2ms` + `payments.p2wsh`). The keys go into the script
     * in the order given, not sorted: swapping them gives another address.
     *
     * @throws Error when a key is not a valid compressed public key (uncompressed `04…` keys
     *   are refused: segwit requires compressed keys) or both keys are the same.
     */
    multisig2of2(pubKeyA: string, pubKeyB: string): Multisig2of2;
  }
}

/**
 * What the workflow's channel delivered: for the seed's Timeline Channel and MyOS Account, the
 * timeline entry's message itself (`event.privateKey`, `event.timestamp`); for
 * `Conversation/Timeline Channel`, the whole entry (`event.message`, `event.timestamp`).
 */
declare const event: PaydocScript.JsonObject;

/**
 * The whole timeline entry when `event` is only its message, else null.
 */
declare const entry: PaydocScript.JsonObject | null;

/**
 * Reads the document as it is now (the handler's earlier steps' changes included) at an RFC
 * 6901 JSON pointer: `document('/amount')`, `document('/btcKey/publicKey')`, `document('')`
 * for the whole document. A node written as `{ value: x }` reads as `x`, a list node
 * `{ items: [...] }` as its items (and `/list/0` indexes into them). Returns undefined where
 * nothing is. What it returns is a copy: changing it changes nothing.
 *
 * @throws Error when `pointer` is not a JSON pointer (not empty and not starting with `/`).
 */
declare function document(pointer: string): PaydocScript.JsonValue | undefined;

/** Results of this handler's earlier steps, by step name: `steps.ValidatePrivateKey.keyValid`. */
declare const steps: Readonly<Record<string, PaydocScript.JsonValue>>;

/** The workflow being run, as written in the document (its `channel`, `event`, `steps`, …). */
declare const currentContract: PaydocScript.JsonObject;

/**
 * The built-in module, imported as in the seed: `import { bitcoinjs } from 'blue:<id>';`.
 * Whatever follows `blue:` is accepted; no other module can be imported.
 */
declare module 'blue:*' {
  /** Bitcoin key and multisig helpers backed by bitcoinjs-lib, ecpair and tiny-secp256k1 on the host. */
  export const bitcoinjs: PaydocScript.Bitcoinjs;
}
