import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { JsonObject, JsonValue } from '../../src/model/json.js';
import type { ScriptInput } from '../../src/sandbox/sandbox.js';

/** A JavaScript Code step of a seed example document, with the document it belongs to. */
export interface SeedStep {
  document: JsonObject;
  workflow: JsonObject;
  code: string;
}

/** Loads `documents/examples/<file>` and returns its workflow's first step (seed 003's code as written). */
export function seedStep(file: string, workflowName: string): SeedStep {
  const text = readFileSync(new URL(`../../documents/examples/${file}`, import.meta.url), 'utf8');
  const document = parse(text) as JsonObject;
  const workflow = (document.contracts as JsonObject)[workflowName] as JsonObject;
  const step = (workflow.steps as JsonObject[])[0] as JsonObject;
  return { document, workflow, code: step.code as string };
}

/** The BTC key escrow step (seed 003, "Cryptocurrency Exchange with Payment Protection"). */
export const btcKeyStep = (): SeedStep =>
  seedStep('btc-key-escrow.yaml', 'merchantPrivateKeyWorkflow');

/** The delivery guarantee step (seed 003, "Guaranteed Delivery Discount Promise"). */
export const deliveryStep = (): SeedStep =>
  seedStep('delivery-guarantee.yaml', 'deliveryGuaranteeWorkflow');

/** The private key 1 as a compressed mainnet WIF, and its public key. */
export const WIF_KEY_1 = 'KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn';
export const PUBLIC_KEY_1 = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
/** The same private key as a compressed testnet WIF. */
export const TESTNET_WIF_KEY_1 = 'cMahea7zqjxrtgAbB7LSGbcQUr1uX1ojuat9jZodMN87JcbXMTcA';
/** The same private key as an uncompressed mainnet WIF, and the uncompressed public key. */
export const UNCOMPRESSED_WIF_KEY_1 = '5HpHagT65TZzG1PH3CSu63k8DbpvD8s5ip4nEB3kEsreAnchuDf';
export const UNCOMPRESSED_PUBLIC_KEY_1 =
  '0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8';

/** A step call with neutral inputs, for tests that only care about the code. */
export function call(code: string, overrides: Partial<ScriptInput> = {}): ScriptInput {
  return {
    code,
    stepName: 'Test',
    event: { type: 'Test Event' },
    entry: null,
    document: {},
    steps: {},
    currentContract: {},
    ...overrides,
  };
}

/** The BTC key step with the document's public key and the event's WIF set. */
export function btcKeyCall(publicKey: string, privateKey: JsonValue): ScriptInput {
  const seed = btcKeyStep();
  const btcKey = { ...(seed.document.btcKey as JsonObject), publicKey };
  return call(seed.code, {
    stepName: 'ValidatePrivateKey',
    event: { type: 'Provide BTC Key', privateKey },
    document: { ...seed.document, btcKey },
    currentContract: seed.workflow,
  });
}

/** The delivery step for a package delivered at `timestamp`. */
export function deliveryCall(timestamp: JsonValue): ScriptInput {
  const seed = deliveryStep();
  return call(seed.code, {
    stepName: 'ProcessDelivery',
    event: { type: 'Package Delivered', timestamp },
    document: seed.document,
    currentContract: seed.workflow,
  });
}
