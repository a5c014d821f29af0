import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../src/model/json.js';
import { isJsonObject } from '../../src/model/json.js';
import { getAtPointer } from '../../src/model/json-pointer.js';
import { loadYaml } from '../../src/model/load-yaml.js';
import { exportBundle, exportSchema, schemaUrn, typeSchema } from '../../src/types/json-schema.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';
import { DocumentValidator } from '../../src/validation/document-validator.js';

const root = join(import.meta.dirname, '../..');
const registry = defaultTypeRegistry();
const bundle = exportBundle(registry);
const defs = bundle.$defs as Record<string, JsonObject>;
// The bundle as one schema: every $ref must resolve inside it (no registry of other schemas).
const validateBundle = new Ajv({ strict: false, allErrors: true }).compile(bundle);

function idOf(name: string): string {
  const definition = registry.lookup(name);
  if (definition === undefined) throw new Error(`no type ${name}`);
  return definition.id;
}

function yaml(text: string): JsonValue {
  const loaded = loadYaml(text);
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('; '));
  return loaded.value;
}

/**
 * The errors that say what is wrong: not the `anyOf`/`if` wrappers around them, nor "must be
 * object" from the node form of a value that has errors of its own.
 */
function problems(validate: ValidateFunction, value: JsonValue): string[] {
  if (validate(value)) return [];
  const errors = (validate.errors ?? []).filter(
    (error: ErrorObject) => !['anyOf', 'if', 'allOf'].includes(error.keyword),
  );
  const nodeForm = (error: ErrorObject): boolean =>
    error.keyword === 'type' &&
    error.params.type === 'object' &&
    errors.some((other) => other !== error && other.instancePath.startsWith(error.instancePath));
  return [
    ...new Set(
      errors
        .filter((error) => !nodeForm(error))
        .map((error) => `${error.instancePath} ${error.message ?? ''}`),
    ),
  ];
}

const cardPayment = (extra: string): JsonValue =>
  yaml(`type: Card Payment\namount: 4999\ncurrency: USD\ntoken: tok_visa\n${extra}`);

function refsOf(node: JsonValue, into: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((item) => refsOf(item, into));
  else if (isJsonObject(node))
    for (const [key, value] of Object.entries(node))
      if (key === '$ref' && typeof value === 'string') into.push(value);
      else refsOf(value, into);
  return into;
}

function enumOfType(def: JsonObject): string[] {
  const type = (def.properties as JsonObject).type as JsonObject;
  const names = (type.anyOf as JsonObject[]).find((branch) => Array.isArray(branch.enum));
  return (names?.enum ?? []) as string[];
}

describe('the editor bundle', () => {
  it('holds every type under $defs, and every $ref resolves as an editor resolves it', () => {
    for (const definition of registry.list())
      if (definition.basic === undefined)
        expect(Object.keys(defs), definition.qualifiedName).toContain(definition.qualifiedName);
    const refs = refsOf(bundle);
    expect(refs.length).toBeGreaterThan(100);
    // As yaml-language-server does: percent-decode the fragment, then read an RFC 6901 pointer.
    for (const ref of new Set(refs)) {
      expect(ref.startsWith('#/$defs/'), ref).toBe(true);
      expect(getAtPointer(bundle, decodeURIComponent(ref.slice(1))), ref).toBeDefined();
    }
  });

  it('dispatches the document on its type', () => {
    expect(bundle.$ref).toBe('#/$defs/paydoc%3Adocument');
    expect(problems(validateBundle, cardPayment(''))).toEqual([]);
    const wrong = problems(validateBundle, yaml('type: Card Payment\namount: abc\ntoken: t\n'));
    expect(wrong).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/amount must be integer/),
        " must have required property 'currency'",
      ]),
    );
    // The same fields under another type are that type's business.
    expect(
      problems(validateBundle, yaml('type: Package Delivered\ntimestamp: 1\namount: abc\n')),
    ).toEqual([]);
    // A type no one defined is flagged at `type`.
    expect(problems(validateBundle, yaml('type: Card Paymnet\n'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/type must be equal to one of/)]),
    );
  });

  it('accepts every example and scenario document, as paydoc validate does', () => {
    const validator = new DocumentValidator(registry);
    const files = [
      ...readdirSync(join(root, 'documents/examples')).map((file) => `documents/examples/${file}`),
      ...readdirSync(join(root, 'documents/scenarios'))
        .map((folder) => `documents/scenarios/${folder}/document.yaml`)
        .filter((file) => existsSync(join(root, file))),
    ];
    expect(files.length).toBeGreaterThan(40);
    for (const file of files) {
      const document = yaml(readFileSync(join(root, file), 'utf8'));
      // Documents paydoc refuses for contract rules (`load-*` scenarios) are still well-typed.
      if (validator.validate(document).some((problem) => problem.code !== 'validation_failed'))
        continue;
      expect(problems(validateBundle, document), file).toEqual([]);
    }
  });
});

describe('contracts in the editor schema', () => {
  it('offers contract types by the names authors write, short and qualified', () => {
    const names = enumOfType(defs['paydoc:contract'] as JsonObject);
    expect(names).toEqual(
      expect.arrayContaining([
        'Timeline Channel',
        'Sequential Workflow',
        'Sequential Workflow Operation',
        'Operation',
        'MyOS Account',
        'Timer Channel',
        'Conversation/Timeline Channel',
        'Payments/Timeline Channel',
        'Conversation/Sequential Workflow',
        'Core/Lifecycle Event Channel',
      ]),
    );
    // Short names first (what authors write); no events or steps.
    expect(names.indexOf('Timeline Channel')).toBeLessThan(names.indexOf('Core/Channel'));
    expect(names).not.toContain('Package Delivered');
    expect(names).not.toContain('JavaScript Code');
  });

  it("checks each contract against the type it names, and a workflow's steps against theirs", () => {
    const ok = cardPayment(`contracts:
  courier:
    type: MyOS Account
    email: dhl@example.com
  onDelivery:
    type: Sequential Workflow
    channel: courier
    event:
      type: Package Delivered
    steps:
      - name: Capture
        type: JavaScript Code
        code: return {};
      - name: Record
        type: Update Document
        changeset:
          - op: replace
            path: /status
            val: captured
      - type: Trigger Event
        event:
          type: Capture Payment
`);
    expect(problems(validateBundle, ok)).toEqual([]);
    const broken = cardPayment(`contracts:
  courier:
    type: MyOS Account
    email: 42
  onDelivery:
    type: Sequential Workflow
    channel: courier
    steps:
      - name: Capture
        type: JavaScript Code
      - type: Update Document
        changeset: []
      - type: Trigger Evnt
  untyped:
    channel: courier
  impl:
    type: Sequential Workflow Operation
    steps: []
`);
    expect(problems(validateBundle, broken)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/contracts\/courier\/email must be string/),
        "/contracts/onDelivery/steps/0 must have required property 'code'",
        expect.stringMatching(/^\/contracts\/onDelivery\/steps\/2\/type must be equal to one of/),
        "/contracts/untyped must have required property 'type'",
        "/contracts/impl must have required property 'operation'",
      ]),
    );
    expect(problems(validateBundle, broken).join('\n')).not.toMatch(/steps\/1/);
  });

  it('offers step types inside steps', () => {
    const steps = defs['paydoc:subtypes:Conversation/Sequential Workflow Step'] as JsonObject;
    const names = enumOfType(steps);
    expect(names).toEqual(
      expect.arrayContaining([
        'JavaScript Code',
        'Update Document',
        'Trigger Event',
        'Conversation/JavaScript Code',
      ]),
    );
    expect(names).not.toContain('Sequential Workflow');
    const workflow = defs['Conversation/Sequential Workflow'] as JsonObject;
    const stepsField = (workflow.properties as JsonObject).steps as JsonObject;
    expect(JSON.stringify(stepsField)).toContain(
      '#/$defs/paydoc%3Asubtypes%3AConversation~1Sequential%20Workflow%20Step',
    );
  });

  it("keeps the type's own contracts typed when an instance leaves out their type", () => {
    const declared = cardPayment(`contracts:
  paymentProcessor:
    description: the processor's channel
  capture:
    channel: 42
`);
    expect(problems(validateBundle, declared)).toEqual([
      expect.stringMatching(/^\/contracts\/capture\/channel must be string/),
    ]);
  });

  it('dispatches a contract whose type is a BlueId or {blueId}', () => {
    const code = idOf('Conversation/JavaScript Code');
    const byReference = cardPayment(`contracts:
  tick:
    type: { blueId: ${idOf('Core/Timer Channel')} }
    path: /authorizationExpiresAt
  run:
    type: ${idOf('Conversation/Sequential Workflow')}
    channel: tick
    steps:
      - type: { blueId: ${code} }
`);
    expect(problems(validateBundle, byReference)).toEqual([
      "/contracts/run/steps/0 must have required property 'code'",
    ]);
  });
});

describe('Blue node sugar in the editor schema', () => {
  it('accepts a simple value written as a node, with type, description and name beside', () => {
    for (const amount of [
      '{value: 4999}',
      '{type: Integer, value: 4999}',
      '{type: Integer, value: 4999, description: Price in cents, name: Price}',
      // A node that only declares its type holds no value, which Blue allows.
      '{type: Integer}',
      `{type: {blueId: ${idOf('Integer')}}, value: 4999}`,
    ]) {
      const document = yaml(`type: Card Payment\namount: ${amount}\ncurrency: USD\ntoken: t\n`);
      expect(problems(validateBundle, document), amount).toEqual([]);
    }
    const listNode = cardPayment('refunds: {type: List, itemType: Payments/Refund, items: []}\n');
    expect(problems(validateBundle, listNode)).toEqual([]);
    const text = cardPayment('status: {value: captured}\ncaptured: {type: Boolean, value: true}\n');
    expect(problems(validateBundle, text)).toEqual([]);
  });

  it('still checks the value inside the node, and its keys', () => {
    const wrong = yaml('type: Card Payment\namount: {value: abc}\ncurrency: USD\ntoken: t\n');
    expect(problems(validateBundle, wrong)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/amount\/value must be integer/)]),
    );
    const zero = yaml('type: Card Payment\namount: {value: 0}\ncurrency: USD\ntoken: t\n');
    expect(problems(validateBundle, zero)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/amount\/value must be >= 1/)]),
    );
    const stray = yaml('type: Card Payment\namount: {valu: 5}\ncurrency: USD\ntoken: t\n');
    expect(problems(validateBundle, stray)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/amount must NOT have additional/)]),
    );
    const badEnum = cardPayment('status: {value: shipped}\n');
    expect(problems(validateBundle, badEnum).join('\n')).toMatch(/\/status\/value must be equal/);
  });

  it('accepts the document type as an alias or {blueId}', () => {
    const typed = yaml(
      `type: {blueId: ${idOf('Payments/Card Payment')}}\namount: 1\ncurrency: USD\ntoken: t\n`,
    );
    expect(problems(validateBundle, typed)).toEqual([]);
    const missing = yaml(`type: {blueId: ${idOf('Payments/Card Payment')}}\namount: 1\n`);
    expect(problems(validateBundle, missing)).toEqual(
      expect.arrayContaining([" must have required property 'currency'"]),
    );
  });
});

describe('one type, and validation', () => {
  it('exports one type with what it needs, dispatching on subtypes where it has some', () => {
    const schema = exportSchema(registry, idOf('Card Payment'));
    expect(schema.$ref).toBe('#/$defs/paydoc%3Asubtypes%3APayments~1Card%20Payment');
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    expect(problems(validate, cardPayment(''))).toEqual([]);
    // A Classic Card Payment is a Card Payment: checked as what it says it is.
    expect(
      problems(validate, yaml('type: Classic Card Payment\namount: 1\ncurrency: USD\ntoken: t')),
    ).toEqual([]);
    expect(problems(validate, yaml('type: Package Delivered\n'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/type must be equal to one of/)]),
    );
    for (const ref of refsOf(schema))
      expect(getAtPointer(schema, decodeURIComponent(ref.slice(1))), ref).toBeDefined();
  });

  it("leaves the validator's schemas in their plain form", () => {
    const plain = typeSchema(registry, registry.resolve(idOf('Card Payment')), schemaUrn);
    const properties = plain.properties as JsonObject;
    expect(properties.amount).toEqual({
      type: 'integer',
      minimum: 1,
      description: 'Amount to charge in minor units of `currency` (cents for USD).',
    });
    expect(properties.contracts).toBeUndefined();
    expect(properties.type).toBeUndefined();
    expect(JSON.stringify(plain)).not.toMatch(/#\/\$defs|anyOf|"if"/);
  });
});
