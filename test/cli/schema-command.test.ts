import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { isTypeDefinition } from '../../src/cli/commands/schema.js';
import { runCli } from '../../src/cli/program.js';
import type { JsonObject, JsonValue } from '../../src/model/json.js';
import { isJsonObject } from '../../src/model/json.js';
import { loadYaml } from '../../src/model/load-yaml.js';
import { fieldKeys } from '../../src/model/node.js';

const root = join(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'paydoc-schema-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (text) => out.push(text), err: (text) => err.push(text) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function schemaOf(target: string): Promise<JsonObject> {
  const result = await cli('schema', target);
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.out) as JsonObject;
}

function write(path: string, text: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function yaml(text: string): JsonValue {
  const loaded = loadYaml(text);
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('; '));
  return loaded.value;
}

function defsOf(schema: JsonObject): Record<string, JsonObject> {
  return schema.$defs as Record<string, JsonObject>;
}

const propertiesOf = (def: JsonObject | undefined): JsonObject =>
  (def?.properties ?? {}) as JsonObject;

describe('paydoc schema <Type>', () => {
  it('prints the editor schema of a type name, short or qualified', async () => {
    const short = await schemaOf('Smart Card Payment');
    expect(short.$ref).toBe('#/$defs/Payments~1Smart%20Card%20Payment');
    const qualified = await schemaOf('Payments/Smart Card Payment');
    expect(qualified).toEqual(short);
    expect(Object.keys(propertiesOf(defsOf(short)['Payments/Smart Card Payment']))).toEqual(
      expect.arrayContaining(['amount', 'currency', 'token', 'contracts', 'type']),
    );
  });

  it('exits 2 for a name that is neither a type nor a file', async () => {
    const result = await cli('schema', 'Card Paymnet');
    expect(result.code).toBe(2);
    expect(result.err).toContain("unknown type 'Card Paymnet'");
    expect(result.err).toContain('[unknown_type]');
  });
});

describe('paydoc schema <document>', () => {
  it("prints the schema of the document's type", async () => {
    const schema = await schemaOf(join(root, 'documents/examples/delivery-guarantee.yaml'));
    expect(schema.$ref).toBe('#/$defs/Payments~1Smart%20Card%20Payment');
    const classic = await schemaOf(
      join(root, 'documents/examples/classic-card-payment-request.yaml'),
    );
    expect(classic.$ref).toBe('#/$defs/Payments~1Classic%20Card%20Payment');
  });

  it('prints the bundle for a document that names no type', async () => {
    const schema = await schemaOf(
      join(root, 'documents/scenarios/typed-node-without-value/document.yaml'),
    );
    expect(schema.$ref).toBe('#/$defs/paydoc%3Adocument');
  });

  it('exits 2 for an unknown type, a missing file or a manifest; 1 for broken YAML', async () => {
    const unknown = await cli('schema', write(join(scratch, 'unknown.yaml'), 'type: Gift Card\n'));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown\.yaml: unknown type "Gift Card" .*\[unknown_type\]/);
    const missing = await cli('schema', join(scratch, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nope\.yaml: no such file \[file_not_found\]/);
    const manifest = await cli('schema', join(root, 'documents/types/payments/package.yaml'));
    expect(manifest.code).toBe(2);
    const broken = await cli('schema', write(join(scratch, 'broken.yaml'), 'type: [\n'));
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('[yaml_syntax]');
  });
});

describe('paydoc schema <type definition file>', () => {
  it('tells type definitions from documents by the rule it documents', () => {
    const library = join(root, 'documents/types');
    let recognised = 0;
    for (const folder of readdirSync(library, { withFileTypes: true })) {
      if (!folder.isDirectory()) continue;
      for (const file of readdirSync(join(library, folder.name))) {
        if (file === 'package.yaml') continue;
        const node = yaml(readFileSync(join(library, folder.name, file), 'utf8')) as JsonObject;
        // Every library type with fields of its own is recognised even outside its package
        // folder (the types without fields are events and markers a package folder names).
        if (fieldKeys(node).length === 0) continue;
        expect(isTypeDefinition(node), file).toBe(true);
        recognised += 1;
      }
    }
    expect(recognised).toBeGreaterThan(40);
    const documents = [
      ...readdirSync(join(root, 'documents/examples')).map((file) =>
        join(root, 'documents/examples', file),
      ),
      ...readdirSync(join(root, 'documents/scenarios'))
        .filter((folder) => folder !== 'README.md')
        .map((folder) => join(root, 'documents/scenarios', folder, 'document.yaml')),
    ];
    for (const file of documents) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      const node = yaml(text);
      expect(isJsonObject(node) && isTypeDefinition(node), file).toBe(false);
    }
  });

  it('compiles a type file of the library (in its package folder)', async () => {
    const schema = await schemaOf(join(root, 'documents/types/payments/card-payment.yaml'));
    expect(schema.$ref).toBe('#/$defs/paydoc%3Asubtypes%3APayments~1Card%20Payment');
    expect(defsOf(schema)['Payments/Card Payment']?.required).toEqual([
      'amount',
      'currency',
      'token',
    ]);
  });

  it('compiles an edited copy of a library type in place of the shipped one', async () => {
    const folder = join(scratch, 'edited/payments');
    copyFileSync(
      join(root, 'documents/types/payments/package.yaml'),
      write(join(folder, 'package.yaml'), ''),
    );
    const original = readFileSync(join(root, 'documents/types/payments/card-payment.yaml'), 'utf8');
    const file = write(
      join(folder, 'card-payment.yaml'),
      original.replace(
        /^currency:/m,
        'tip:\n  type: Integer\n  description: Tip in minor units.\n  schema:\n    required: true\ncurrency:',
      ),
    );
    const schema = await schemaOf(file);
    const cardPayment = defsOf(schema)['Payments/Card Payment'];
    expect(Object.keys(propertiesOf(cardPayment))).toContain('tip');
    expect(cardPayment?.required).toContain('tip');
    // Subtypes are rebuilt on the edited type: they have the new field too.
    expect(defsOf(schema)['Payments/Smart Card Payment']?.required).toContain('tip');
  });

  it("compiles an author's own type against the library, in its own package", async () => {
    const loose = write(
      join(scratch, 'gift-card-payment.yaml'),
      [
        'name: Gift Card Payment',
        'description: A card payment with a gift message.',
        'type: Payments/Card Payment',
        'giftMessage:',
        '  type: Text',
        '  description: Printed on the card.',
        '  schema:',
        '    required: true',
        '    maxLength: 200',
        '',
      ].join('\n'),
    );
    const schema = await schemaOf(loose);
    expect(schema.$ref).toBe('#/$defs/Local~1Gift%20Card%20Payment');
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const base = { amount: 100, currency: 'USD', token: 'tok_visa' };
    expect(validate({ ...base, giftMessage: 'Happy birthday' })).toBe(true);
    expect(validate(base)).toBe(false);
    expect(validate.errors?.map((error) => error.message)).toContain(
      "must have required property 'giftMessage'",
    );

    const shop = join(scratch, 'shop');
    write(join(shop, 'package.yaml'), 'name: Shop\n');
    const inPackage = write(
      join(shop, 'voucher.yaml'),
      'name: Voucher\ndescription: A voucher.\ncode:\n  type: Text\n  description: The code.\n',
    );
    const voucher = await schemaOf(inPackage);
    expect(voucher.$ref).toBe('#/$defs/Shop~1Voucher');
  });

  it('exits 2 for a type file whose parent is unknown', async () => {
    const file = write(
      join(scratch, 'orphan.yaml'),
      'name: Orphan\ntype: Payments/Nope\nx:\n  type: Text\n  description: x\n',
    );
    const result = await cli('schema', file);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/orphan\.yaml: .*Payments\/Nope.*\[unknown_type\]/);
  });
});

describe('paydoc schema --all', () => {
  it('writes the bundle and prints the modeline and the VS Code mapping', async () => {
    const out = join(scratch, 'bundle');
    const result = await cli('schema', '--all', '--out', out);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const file = join(out, 'paydoc.schema.json');
    expect(result.out).toContain(`# yaml-language-server: $schema=${file}`);
    expect(result.out).toContain('"yaml.schemas"');
    const bundle = JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
    expect(bundle.$ref).toBe('#/$defs/paydoc%3Adocument');
    expect(Object.keys(defsOf(bundle))).toEqual(
      expect.arrayContaining(['Payments/Card Payment', 'Conversation/Sequential Workflow']),
    );
    const validate = new Ajv({ strict: false, allErrors: true }).compile(bundle);
    expect(
      validate(yaml(readFileSync(join(root, 'documents/examples/btc-key-escrow.yaml'), 'utf8'))),
    ).toBe(true);
    expect(validate({ type: 'Card Payment', amount: 'ten' })).toBe(false);
  });

  it('gives the same as JSON with --json', async () => {
    const out = join(scratch, 'bundle-json');
    const result = await cli('schema', '--all', '--out', out, '--json');
    expect(result.code).toBe(0);
    const setup = JSON.parse(result.out) as {
      file: string;
      types: number;
      modeline: string;
      vscodeSettings: { 'yaml.schemas': Record<string, string[]> };
    };
    expect(setup.file).toBe(join(out, 'paydoc.schema.json'));
    expect(setup.types).toBeGreaterThan(60);
    expect(setup.modeline).toBe(`# yaml-language-server: $schema=${setup.file}`);
    expect(setup.vscodeSettings['yaml.schemas'][setup.file]).toEqual([
      'documents/**/*.yaml',
      '!documents/types/**',
    ]);
  });

  it('exits 2 when called wrongly', async () => {
    expect((await cli('schema')).code).toBe(2);
    expect((await cli('schema', '--all', 'Card Payment')).code).toBe(2);
    expect((await cli('schema', 'Card Payment', '--out', scratch)).code).toBe(2);
    const blocked = write(join(scratch, 'a-file'), '');
    const unwritable = await cli('schema', '--all', '--out', join(blocked, 'sub'));
    expect(unwritable.code).toBe(2);
    expect(unwritable.err).toContain('[usage]');
  });
});
