import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaCommand } from '../../src/cli/commands/schema.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';
import { LspClient } from './support/lsp-client.js';

/**
 * The editor schemas through the real yaml-language-server (as VS Code's YAML extension runs
 * it): `paydoc schema --all` writes the bundle into a workspace, and documents there use it by
 * the modeline or the `yaml.schemas` mapping that the command prints.
 */

const root = join(import.meta.dirname, '../..');
const server = join(root, 'node_modules/yaml-language-server/bin/yaml-language-server');
const workspace = mkdtempSync(join(tmpdir(), 'paydoc-editor-'));

interface Setup {
  modeline: string;
  vscodeSettings: { 'yaml.schemas': Record<string, string[]> };
}

interface Diagnostic {
  message: string;
  range: { start: { line: number; character: number } };
}

interface CompletionItem {
  label: string;
}

let client: LspClient;
let setup: Setup;
let version = 0;

beforeAll(async () => {
  const out: string[] = [];
  const code = schemaCommand(
    undefined,
    { all: true, out: '.', json: true },
    defaultTypeRegistry(),
    { out: (text) => out.push(text), err: (text) => out.push(text) },
    workspace,
  );
  expect(code, out.join('\n')).toBe(0);
  setup = JSON.parse(out.join('\n')) as Setup;
  expect(setup.modeline).toBe('# yaml-language-server: $schema=./paydoc.schema.json');

  // As VS Code would send it: the printed mapping, and no schema store (no network).
  const yamlSettings = {
    validate: true,
    completion: true,
    hover: true,
    schemaStore: { enable: false },
    schemas: setup.vscodeSettings['yaml.schemas'],
  };
  client = new LspClient(process.execPath, [server, '--stdio'], workspace);
  client.onRequest('workspace/configuration', (params) => {
    const items = (params as { items: { section?: string }[] }).items;
    return items.map((item) => (item.section === 'yaml' ? yamlSettings : null));
  });
  const rootUri = pathToFileURL(workspace).href;
  await client.request('initialize', {
    processId: process.pid,
    rootUri,
    workspaceFolders: [{ uri: rootUri, name: 'workspace' }],
    capabilities: {
      workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
      textDocument: {
        completion: { completionItem: { snippetSupport: true } },
        publishDiagnostics: {},
      },
    },
  });
  client.notify('initialized', {});
  client.notify('workspace/didChangeConfiguration', { settings: { yaml: yamlSettings } });
}, 60_000);

afterAll(async () => {
  await client?.close();
  rmSync(workspace, { recursive: true, force: true });
}, 30_000);

/** Opens a document in the workspace and returns the diagnostics the server publishes for it. */
async function open(
  name: string,
  text: string,
): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
  const path = join(workspace, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  const uri = pathToFileURL(path).href;
  const published = client.waitForNotification(
    'textDocument/publishDiagnostics',
    (params) => (params as { uri: string }).uri === uri,
  );
  version += 1;
  client.notify('textDocument/didOpen', {
    textDocument: { uri, languageId: 'yaml', version, text },
  });
  const params = (await published) as { diagnostics: Diagnostic[] };
  return { uri, diagnostics: params.diagnostics };
}

async function complete(uri: string, line: number, character: number): Promise<string[]> {
  const result = (await client.request('textDocument/completion', {
    textDocument: { uri },
    position: { line, character },
  })) as { items: CompletionItem[] } | CompletionItem[];
  return (Array.isArray(result) ? result : result.items).map((item) => item.label);
}

const summary = (diagnostics: Diagnostic[]): string[] =>
  diagnostics.map((d) => `${d.range.start.line}:${d.range.start.character} ${d.message}`);

const incorrect = [
  'type: Card Payment',
  'amount: abc', // not an Integer
  'token: tok_visa', // and no currency, which Card Payment requires
  '',
].join('\n');

describe('yaml-language-server with the paydoc bundle', () => {
  it('flags a wrong type and a missing required field (modeline)', async () => {
    const { diagnostics } = await open('incorrect.yaml', `${setup.modeline}\n${incorrect}`);
    const found = summary(diagnostics);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^2:8 Incorrect type\. Expected "integer/),
        expect.stringMatching(/^1:0 Missing property "currency"/),
      ]),
    );
    expect(found).toHaveLength(2);
  });

  it('flags the same through the printed yaml.schemas mapping, without a modeline', async () => {
    const { diagnostics } = await open('documents/incorrect.yaml', incorrect);
    expect(summary(diagnostics)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^1:8 Incorrect type\. Expected "integer/),
        expect.stringMatching(/^0:0 Missing property "currency"/),
      ]),
    );
    // A type definition is not a document (its fields declare, they hold no values): checked
    // as one it would be flagged, so the mapping leaves the type library alone.
    const card = readFileSync(
      join(root, 'documents/types/payments/smart-card-payment.yaml'),
      'utf8',
    );
    expect((await open('documents/smart-card-payment-type.yaml', card)).diagnostics).not.toEqual(
      [],
    );
    expect(
      (await open('documents/types/payments/smart-card-payment.yaml', card)).diagnostics,
    ).toEqual([]);
  });

  it('reports nothing on the example documents, contracts and workflows included', async () => {
    const examples = readdirSync(join(root, 'documents/examples'));
    expect(examples.length).toBeGreaterThan(3);
    for (const file of examples) {
      const text = readFileSync(join(root, 'documents/examples', file), 'utf8');
      // The modeline's path is relative to the document: these sit beside the bundle.
      const { diagnostics } = await open(`example-${file}`, `${setup.modeline}\n${text}`);
      expect(summary(diagnostics), file).toEqual([]);
    }
  });

  it('accepts the node sugar and reports field problems inside contracts and steps', async () => {
    const sugar = [
      setup.modeline,
      'type: Card Payment',
      'amount: {type: Integer, value: 4999, description: Price in cents}',
      'currency: {value: USD}',
      'token: tok_visa',
      '',
    ].join('\n');
    expect(summary((await open('sugar.yaml', sugar)).diagnostics)).toEqual([]);
    const contracts = [
      setup.modeline,
      'type: Card Payment',
      'amount: 4999',
      'currency: USD',
      'token: tok_visa',
      'contracts:',
      '  courier:',
      '    type: MyOS Account',
      '    email: 42',
      '  onDelivery:',
      '    type: Sequential Workflow',
      '    channel: courier',
      '    steps:',
      '      - name: Capture',
      '        type: JavaScript Code',
      '',
    ].join('\n');
    const found = summary((await open('contracts.yaml', contracts)).diagnostics);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^8:11 Incorrect type\. Expected "string/),
        expect.stringMatching(/^13:8 Missing property "code"/),
      ]),
    );
  });

  it("offers a Card Payment's fields", async () => {
    const { uri } = await open('complete-fields.yaml', `${setup.modeline}\ntype: Card Payment\n\n`);
    const labels = await complete(uri, 2, 0);
    expect(labels).toEqual(
      expect.arrayContaining(['amount', 'currency', 'token', 'captured', 'refunds', 'contracts']),
    );
    expect(labels).not.toContain('timestamp'); // a Package Delivered field
  });

  it("offers contract types under contracts, and step types in a workflow's steps", async () => {
    const text = [
      setup.modeline,
      'type: Smart Card Payment',
      'amount: 1000',
      'currency: USD',
      'token: tok_1234',
      'contracts:',
      '  deliveryTimeline:',
      '    type: ',
      '  onDelivery:',
      '    type: Sequential Workflow',
      '    channel: deliveryTimeline',
      '    steps:',
      '      - name: ProcessDelivery',
      '        type: ',
      '',
    ].join('\n');
    const { uri } = await open('complete-types.yaml', text);
    const contractTypes = await complete(uri, 7, 10);
    expect(contractTypes).toEqual(
      expect.arrayContaining([
        'Timeline Channel',
        'MyOS Account',
        'Sequential Workflow',
        'Operation',
        'Conversation/Timeline Channel',
      ]),
    );
    expect(contractTypes).not.toContain('JavaScript Code');
    const stepTypes = await complete(uri, 13, 14);
    expect(stepTypes).toEqual(
      expect.arrayContaining(['JavaScript Code', 'Update Document', 'Trigger Event']),
    );
    expect(stepTypes).not.toContain('Sequential Workflow');
    expect(stepTypes).not.toContain('Card Payment');
  });
});
