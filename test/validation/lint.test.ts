import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOwnRegistry } from '../../src/types/own-types.js';
import { codeLocator } from '../../src/model/code-position.js';
import { isJsonObject } from '../../src/model/json.js';
import { loadYaml } from '../../src/model/load-yaml.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import { defaultLibraryPackages, defaultTypeRegistry } from '../../src/types/load-library.js';
import { checkDocument } from '../../src/validation/check-document.js';
import { DocumentValidator } from '../../src/validation/document-validator.js';
import type { LintCode, LintFinding } from '../../src/validation/lint/lint-codes.js';
import { LINT_CATALOGUE } from '../../src/validation/lint/lint-codes.js';
import { lintDocument } from '../../src/validation/lint/lint-document.js';
import { analyseScript } from '../../src/validation/lint/lint-script.js';

const registry = defaultTypeRegistry();
const validator = new DocumentValidator(registry);
const root = join(import.meta.dirname, '../..');

/** Lints a document that must validate, as the CLI and POST /blue do. */
function lint(text: string): LintFinding[] {
  const checked = checkDocument(text, validator);
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return lintDocument(checked.document, registry, {
    positions: checked.positions,
    locateCode: codeLocator(text, checked.document),
  });
}

const codes = (findings: readonly LintFinding[]): LintCode[] => findings.map((f) => f.code);

/** The 1-based line and column of `needle` in `text` (the `occurrence`-th, from 1). */
function where(text: string, needle: string, occurrence = 1): { line: number; col: number } {
  let offset = -1;
  for (let n = 0; n < occurrence; n += 1) offset = text.indexOf(needle, offset + 1);
  if (offset === -1) throw new Error(`no ${needle}`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: (before[before.length - 1] as string).length + 1 };
}

/** A document with one timeline channel and one workflow whose steps are `steps` (YAML, 6 spaces in). */
function workflow(steps: string, extra = ''): string {
  return `name: Lint probe
amount: 1000
note: hello
contracts:
  timeline:
    type: Conversation/Timeline Channel
    timelineId: t-1
  run:
    type: Conversation/Sequential Workflow
    channel: timeline
    steps:
${steps}
${extra}`;
}

const javascript = (code: string, name = 'Script'): string =>
  `      - name: ${name}
        type: Conversation/JavaScript Code
        code: |
${code
  .split('\n')
  .map((line) => (line === '' ? '' : `          ${line}`))
  .join('\n')}
`;

const update = (changes: string, name = 'Patch'): string =>
  `      - name: ${name}
        type: Conversation/Update Document
        changeset:
${changes}
`;

/** Codes the tests below show positively: the catalogue must have no code without one. */
const shown = new Set<LintCode>();
function expectCodes(findings: readonly LintFinding[], expected: LintCode[]): void {
  expect(codes(findings)).toEqual(expected);
  for (const code of expected) shown.add(code);
}

describe('lintDocument: JavaScript Code', () => {
  it('places a syntax error at the line:col of the YAML file', () => {
    const text = workflow(javascript('const a = 1;\nif (a > ) {\n  return {};\n}'));
    const findings = lint(text);
    expectCodes(findings, ['script_syntax']);
    const [finding] = findings;
    expect(finding?.severity).toBe('error');
    expect(finding?.pointer).toBe('/contracts/run/steps/0/code');
    // The `)` after `a > `, on the file's line of `if (a > ) {`.
    const ifLine = where(text, 'if (a > ) {');
    expect(finding?.position).toEqual({ line: ifLine.line, col: ifLine.col + 'if (a > '.length });
    expect(finding?.message).toMatch(/step Script: SyntaxError: Unexpected token \(line 2:9/);
  });

  it('compiles the body as the sandbox does: strict, a function of the step parameters', () => {
    expectCodes(lint(workflow(javascript('let event = 1;\nreturn {};'))), ['script_syntax']);
    expectCodes(lint(workflow(javascript('with (event) {}\nreturn {};'))), ['script_syntax']);
    // A body that closes its own function parses as a program, not as the step.
    expectCodes(lint(workflow(javascript('return {};\n}); (function () {'))), ['script_syntax']);
    expectCodes(lint(workflow(javascript('return { a: [1, 2'))), ['script_syntax']);
  });

  it('reports what the sandbox refuses before it runs', () => {
    const text = workflow(javascript("import fs from 'fs';\nreturn {};"));
    const findings = lint(text);
    expectCodes(findings, ['script_refused']);
    expect(findings[0]?.message).toMatch(/only the built-in blue: module can be imported/);
    expect(findings[0]?.position?.line).toBe(where(text, 'import fs').line);
    expectCodes(lint(workflow(javascript('async function f() {}\nreturn {};'))), [
      'script_refused',
    ]);
    expectCodes(lint(workflow(javascript('const __paydocX = 1;\nreturn {};'))), ['script_refused']);
  });

  it('accepts code that compiles, the blue: import, try/catch and new.target included', () => {
    const code = [
      "import { bitcoinjs } from 'blue:FaTx83nVvz7K5uA9RwQhP2bY1LdJtE6mX4G';",
      'function f() { return new.target; }',
      'try { f(); } catch (error) { return { failed: true }; } finally { f(); }',
      "return { events: [{ type: 'Capture Payment', amount: document('/amount') }], k: typeof bitcoinjs };",
    ].join('\n');
    expect(lint(workflow(javascript(code)))).toEqual([]);
  });
});

describe('analyseScript agrees with the sandbox', () => {
  const sandbox = new IsolateHost();
  afterAll(() => sandbox.close());
  // Each body returns at once when it compiles, so a failure is the compiler's or the guard's.
  const bodies = [
    'return {};',
    'const a = 1;\nif (a > ) {\n  return {};\n}',
    'let event = 1;\nreturn {};',
    'var event = 1;\nreturn {};',
    'function document() {}\nreturn {};',
    'with (event) {}\nreturn {};',
    'const x = 010;\nreturn {};',
    'return {};\n}); (function () {',
    'return { a: [1, 2',
    'try {\n  return {};\n} catch (error) {\n  return { e: 1 }; const y = ;\n}',
    'try {\n  return {};\n} finally {}\nreturn { a: 1 };',
    'label: for (;;) { break label; }\nreturn {};',
    'return new.target === undefined ? {} : {};',
    'const f = async () => 1;\nreturn {};',
    "import fs from 'fs';\nreturn {};",
    "import { bitcoinjs } from 'blue:x';\nreturn { t: typeof bitcoinjs };",
    "import { nothing } from 'blue:x';\nreturn {};",
    'const re = /a{/u;\nreturn {};',
    'return { v: 1n + 2n > 0n ? 1 : 0 };',
    'const { a, ...rest } = { a: 1, b: 2 };\nreturn { rest };',
    'return { s: `${1 + 1}` };',
    'class A { #x = 1; get x() { return this.#x; } }\nreturn { x: new A().x };',
    'const yield = 1;\nreturn {};',
    'delete event;\nreturn {};',
  ];
  it.each(bodies)('%j', async (code) => {
    const outcome = await sandbox.run({
      code,
      stepName: 'Probe',
      event: {},
      entry: null,
      document: {},
      steps: {},
      currentContract: {},
    });
    const report = analyseScript(code);
    expect(report.problem === undefined, JSON.stringify({ outcome, report })).toBe(outcome.ok);
    if (!outcome.ok && outcome.location !== undefined && report.problem?.location !== undefined)
      expect(report.problem.location.line).toBe(outcome.location.line);
  });
});

describe('lintDocument: expressions', () => {
  it('reports an expression that neither the evaluator reads nor the sandbox compiles', () => {
    const text = workflow(
      update('          - op: replace\n            path: /note\n            val: "${1 +}"'),
    );
    const findings = lint(text);
    expectCodes(findings, ['expression_syntax']);
    expect(findings[0]?.pointer).toBe('/contracts/run/steps/0/changeset/0/val');
    expect(findings[0]?.position?.line).toBe(where(text, '${1 +}').line);
  });

  it('accepts the built-in subset and what the sandbox evaluates', () => {
    const changes = [
      '          - op: replace',
      '            path: /note',
      `            val: "\${document('/amount') > 10 ? 'big' : 'small'}"`,
      '          - op: replace',
      '            path: /amount',
      '            val: "${[1, 2].map((x) => x * 2).length}"',
    ].join('\n');
    expect(lint(workflow(update(changes)))).toEqual([]);
  });
});

describe('lintDocument: channels and operations', () => {
  it('resolves a workflow channel against the contracts, with did-you-mean', () => {
    const text = workflow(javascript('return {};')).replace(
      'channel: timeline',
      'channel: timelin',
    );
    const findings = lint(text);
    expectCodes(findings, ['unknown_channel']);
    expect(findings[0]?.message).toMatch(/no channel 'timelin'; did you mean 'timeline'\?/);
    expect(findings[0]?.position).toEqual(where(text, 'channel: timelin\n'));
  });

  it('says so when the channel names a contract that is not a channel', () => {
    const text = workflow(
      javascript('return {};'),
      '  capture:\n    type: Conversation/Operation\n    channel: timeline\n',
    ).replace('channel: timeline\n    steps', 'channel: capture\n    steps');
    const findings = lint(text);
    expectCodes(findings, ['unknown_channel']);
    expect(findings[0]?.message).toMatch(/'capture' is a Conversation\/Operation, not a channel/);
  });

  it("checks an Operation's channel", () => {
    const text = workflow(
      javascript('return {};'),
      '  capture:\n    type: Conversation/Operation\n    channel: timelne\n',
    );
    expectCodes(lint(text), ['unknown_channel']);
  });

  it('reports a workflow without a channel', () => {
    const text = workflow(javascript('return {};')).replace(
      '    channel: timeline\n    steps',
      '    steps',
    );
    expectCodes(lint(text), ['handler_without_channel']);
  });

  it('resolves operation references (handlers and Actor Policy rules), with did-you-mean', () => {
    const text = workflow(
      javascript('return {};'),
      [
        '  capture:',
        '    type: Conversation/Operation',
        '    channel: timeline',
        '  captureImpl:',
        '    type: Conversation/Sequential Workflow Operation',
        '    channel: timeline',
        '    operation: captur',
        '    steps: []',
        '  policy:',
        '    type: Conversation/Actor Policy',
        '    operations:',
        '      captre:',
        '        requiresActor: principal',
        '',
      ].join('\n'),
    );
    const findings = lint(text);
    expectCodes(findings, ['unknown_operation', 'unknown_operation']);
    expect(findings[0]?.message).toMatch(/'captur'.*did you mean 'capture'\?/);
    expect(findings[1]?.message).toMatch(/Actor Policy 'policy'.*'captre'.*did you mean 'capture'/);
    expect(lint(text.replace('captur\n', 'capture\n').replace('captre:', 'capture:'))).toEqual([]);
  });

  it('knows the channels and operations a type declares', () => {
    const text = readFileSync(join(root, 'documents/examples/btc-key-escrow.yaml'), 'utf8');
    // merchantTimeline is Smart Card Payment no API Access's own channel.
    expect(text).toContain('channel: merchantTimeline');
    expect(lint(text)).toEqual([]);
  });
});

describe('lintDocument: types', () => {
  it('finds a misspelled type in an event pattern, a Trigger Event and JavaScript', () => {
    const text = workflow(
      [
        javascript("return { events: [{ type: 'Capture Paymnet', amount: 1 }] };", 'Emit'),
        '      - name: Trigger',
        '        type: Conversation/Trigger Event',
        '        event:',
        '          type: Payments/Refund Paymnet',
      ].join('\n'),
    ).replace(
      '    channel: timeline\n    steps',
      '    channel: timeline\n    event:\n      type: Payment Authorised\n    steps',
    );
    const findings = lint(text);
    expectCodes(findings, ['misspelled_type', 'misspelled_type', 'misspelled_type']);
    expect(findings.map((f) => f.severity)).toEqual(['error', 'error', 'error']);
    expect(findings[0]?.message).toMatch(
      /'Payment Authorised' is unknown; did you mean 'Payment Authorized'\?/,
    );
    expect(findings[1]?.message).toMatch(
      /'Capture Paymnet' is unknown; did you mean 'Capture Payment'\?/,
    );
    expect(findings[1]?.position).toEqual(where(text, "'Capture Paymnet'"));
    expect(findings[2]?.message).toMatch(/did you mean 'Payments\/Refund Payment'\?/);
  });

  it('warns about a type the library does not know and nothing is close to', () => {
    const text = workflow(javascript("return { events: [{ type: 'Order Shipped To Moon' }] };"));
    const findings = lint(text);
    expectCodes(findings, ['unlisted_type']);
    expect(findings[0]?.severity).toBe('warning');
  });

  it('refuses an event pattern or Trigger Event of a type nobody knows, and knows own types', () => {
    const text = workflow(
      [
        javascript('return {};'),
        '      - name: Trigger',
        '        type: Conversation/Trigger Event',
        '        event:',
        '          type: Parcel Weighed',
      ].join('\n'),
    ).replace(
      '    channel: timeline\n',
      '    channel: timeline\n    event:\n      type: Item Shipped\n',
    );
    const findings = lint(text);
    expectCodes(findings, ['unknown_event_type', 'unknown_event_type']);
    expect(findings.map((f) => f.severity)).toEqual(['error', 'error']);
    expect(findings[0]?.pointer).toBe('/contracts/run/event/type');
    expect(findings[0]?.position).toEqual(where(text, 'type: Item Shipped'));
    // With the author's own types (--types, POST /types) the same names are known.
    const own = buildOwnRegistry(defaultLibraryPackages(), registry, [
      { node: { name: 'Item Shipped', trackingNumber: { type: 'Text' } } },
      { node: { name: 'Parcel Weighed', grams: { type: 'Integer' } } },
    ]);
    if (!own.ok) throw new Error(JSON.stringify(own.problems));
    const checked = checkDocument(text, new DocumentValidator(own.registry));
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    expect(lintDocument(checked.document, own.registry)).toEqual([]);
  });

  it('accepts known types, short and qualified', () => {
    const text = workflow(
      [
        javascript(
          "return { events: [{ type: 'Payments/Capture Payment' }, { type: 'Refund Payment' }] };",
        ),
        '      - name: Trigger',
        '        type: Conversation/Trigger Event',
        '        event:',
        '          type: Conversation/Chat Message',
        '          message: hi',
      ].join('\n'),
    );
    expect(lint(text)).toEqual([]);
  });

  it('adds did-you-mean to the validator for contract and step types', () => {
    const text = workflow(javascript('return {};')).replace(
      'Conversation/JavaScript Code',
      'Javascript Code',
    );
    const checked = checkDocument(text, validator);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problems[0]?.code).toBe('unknown_type');
    expect(checked.problems[0]?.message).toBe(
      "unknown type 'Javascript Code'; did you mean 'JavaScript Code'?",
    );
    const contract = checkDocument(
      text.replace('Conversation/Timeline Channel', 'Timeline Chanel'),
      validator,
    );
    expect(contract.ok ? [] : contract.problems.map((p) => p.message)).toContain(
      "unknown type 'Timeline Chanel'; did you mean 'Timeline Channel'?",
    );
  });
});

describe('lintDocument: Update Document', () => {
  const change = (op: string, path: string, val = '1'): string =>
    `          - op: ${op}\n            path: ${path}\n            val: ${val}`;

  it('reports ops the processor does not apply, with did-you-mean', () => {
    const text = workflow(update([change('replase', '/note'), change('move', '/note')].join('\n')));
    const findings = lint(text);
    expectCodes(findings, ['patch_op', 'patch_op']);
    expect(findings[0]?.message).toMatch(/unknown op 'replase'.*did you mean 'replace'\?/);
    expect(findings[0]?.position).toEqual(where(text, 'op: replase'));
    expect(findings[1]?.message).toMatch(/op 'move' is JSON Patch's/);
  });

  it('accepts add, replace and remove in any case, and a change without an op', () => {
    const changes = [
      change('ADD', '/added'),
      change('Replace', '/amount'),
      '          - op: REMOVE\n            path: /note',
      '          - path: /other\n            val: 2',
    ].join('\n');
    expect(lint(workflow(update(changes)))).toEqual([]);
  });

  it('reports paths that are not JSON pointers', () => {
    const changes = [
      change('replace', 'note'),
      change('replace', '"/a~2"'),
      change('replace', '""'),
    ];
    const findings = lint(workflow(update(changes.join('\n'))));
    expectCodes(findings, ['patch_path', 'patch_path', 'patch_path']);
    expect(findings[0]?.message).toMatch(/must start with '\/'.*write '\/note'/);
    expect(findings[2]?.message).toMatch(/root cannot be patched/);
    // A ${…} path is resolved when the step runs.
    expect(lint(workflow(update(change('replace', '"/x${event.message.n}"'))))).toEqual([]);
  });

  it('reports an add or replace without a val', () => {
    const findings = lint(workflow(update('          - op: add\n            path: /x')));
    expectCodes(findings, ['patch_value']);
  });

  it('reports a changeset that is not a list and a change that is not a map', () => {
    expectCodes(
      lint(workflow(update('          just text').replace('changeset:\n', 'changeset:'))),
      ['patch_shape'],
    );
    expectCodes(lint(workflow(update('          - 42'))), ['patch_shape']);
    // One ${…} expression evaluating to the list is a changeset.
    expect(
      lint(
        workflow(
          update('').replace(
            'changeset:\n',
            `changeset: "\${[{ op: 'add', path: '/n', val: 1 }]}"`,
          ),
        ),
      ),
    ).toEqual([]);
  });
});

describe('lintDocument: fields the document does not have', () => {
  it('warns about document() reads of missing fields in JavaScript and ${…}, with did-you-mean', () => {
    const text = workflow(
      [
        javascript("return { n: document('/amountt') };", 'Read'),
        update(
          `          - op: replace\n            path: /note\n            val: "\${document('/nte')}"`,
        ),
      ].join(''),
    );
    const findings = lint(text);
    expectCodes(findings, ['unknown_field', 'unknown_field']);
    expect(findings.map((f) => f.severity)).toEqual(['warning', 'warning']);
    expect(findings[0]?.message).toMatch(/reads \/amountt.*did you mean '\/amount'\?/);
    expect(findings[0]?.position).toEqual(where(text, "'/amountt'"));
    expect(findings[1]?.message).toMatch(/reads \/nte.*did you mean '\/note'\?/);
  });

  it('warns about replace and remove paths that are not there', () => {
    const changes = [
      '          - op: replace\n            path: /notes/first\n            val: 1',
      '          - op: remove\n            path: /gone',
    ].join('\n');
    const findings = lint(workflow(update(changes)));
    expectCodes(findings, ['unknown_field', 'unknown_field']);
    expect(findings[0]?.message).toMatch(
      /\/notes is neither in the document.*replace would create it; did you mean '\/note'\?/,
    );
    expect(findings[1]?.message).toMatch(/remove \/gone.*would fail/);
  });

  it('reports a malformed document() pointer', () => {
    expectCodes(lint(workflow(javascript("return { n: document('/a~2') };"))), ['invalid_pointer']);
  });

  it('knows fields the document has, its type declares, its steps write or a read tests for', () => {
    const written = workflow(
      [
        update('          - op: add\n            path: /log\n            val: []'),
        javascript(
          [
            "const a = document('amount') + document('/log/0') + (document('/maybe') ?? 0);",
            "if (document('/other')) return {};",
            "return { id: document('/note/blueId'), c: document('/contracts/checkpoint'), x: typeof document('/y') };",
          ].join('\n'),
          'Read',
        ),
        update('          - op: replace\n            path: /log/-\n            val: 1', 'Append'),
      ].join(''),
    );
    expect(lint(written)).toEqual([]);
    const typed = readFileSync(
      join(root, 'documents/examples/classic-card-payment-request.yaml'),
      'utf8',
    );
    const withRead = `${typed.trimEnd()}\ncontracts:\n  readStatus:\n    type: Conversation/Sequential Workflow\n    channel: merchantApi\n    steps:\n${javascript("return { s: document('/status'), r: document('/refunds/0/amount') };")}`;
    expect(lint(withRead).filter((f) => f.code === 'unknown_field')).toEqual([]);
  });

  it('reports nothing about fields when a step writes where only running tells', () => {
    const text = workflow(
      [
        javascript("return { n: document('/later') };", 'Read'),
        update(
          '          - op: add\n            path: "/${event.message.key}"\n            val: 1',
        ),
      ].join(''),
    );
    expect(lint(text)).toEqual([]);
  });

  it('reads an embedded child relative to the child', () => {
    const text = `name: Parent
child:
  count: 0
  contracts:
    timeline:
      type: Conversation/Timeline Channel
      timelineId: t-1
    increment:
      type: Conversation/Sequential Workflow
      channel: timeline
      steps:
        - name: Increment
          type: Conversation/Update Document
          changeset:
            - op: replace
              path: /count
              val: "\${document('count') + document('/cont')}"
contracts:
  embedded:
    type: Core/Process Embedded
    paths:
      - /child
`;
    const findings = lint(text);
    expectCodes(findings, ['unknown_field']);
    expect(findings[0]?.pointer).toBe('/child/contracts/increment/steps/0/changeset/0/val');
    expect(findings[0]?.message).toMatch(/did you mean '\/count'\?/);
  });
});

describe('lintDocument: step results', () => {
  it('warns about steps.<name> naming no earlier step', () => {
    const text = workflow(
      [
        javascript('return { total: 1 };', 'Compute'),
        javascript('return { t: steps.Compte.total, u: steps.Later };', 'Use'),
        javascript('return {};', 'Later'),
      ].join(''),
    );
    const findings = lint(text);
    expectCodes(findings, ['unknown_step', 'unknown_step']);
    expect(findings[0]?.message).toMatch(/steps\.Compte.*did you mean 'Compute'\?/);
    expect(lint(text.replace('steps.Compte.total, u: steps.Later', 'steps.Compute.total'))).toEqual(
      [],
    );
  });
});

describe('the documents paydoc ships', () => {
  const examples = readdirSync(join(root, 'documents/examples'))
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => join(root, 'documents/examples', file));
  const scenarios = readdirSync(join(root, 'documents/scenarios'))
    .map((name) => join(root, 'documents/scenarios', name))
    .filter((folder) => existsSync(join(folder, 'scenario.yaml')))
    .flatMap((folder) => {
      const loaded = loadYaml(readFileSync(join(folder, 'scenario.yaml'), 'utf8'));
      const spec = loaded.ok && isJsonObject(loaded.value) ? loaded.value : {};
      // A scenario refused on load shows a validation problem, not a document to lint.
      if (isJsonObject(spec.expect) && spec.expect.refused !== undefined) return [];
      return [resolve(folder, typeof spec.document === 'string' ? spec.document : 'document.yaml')];
    });

  it.each([...examples, ...scenarios].map((file) => [file.slice(root.length + 1), file]))(
    '%s lints with no errors and no warnings',
    (_name, file) => {
      expect(lint(readFileSync(file, 'utf8'))).toEqual([]);
    },
  );
});

describe('the catalogue', () => {
  it('gives every code a severity and a one-line description, and every code a test above', () => {
    for (const [code, entry] of Object.entries(LINT_CATALOGUE)) {
      expect(['error', 'warning'], code).toContain(entry.severity);
      expect(entry.description, code).toMatch(/^[A-Z].*\.$/);
      expect(entry.description, code).not.toContain('\n');
    }
    expect([...shown].sort()).toEqual(Object.keys(LINT_CATALOGUE).sort());
  });
});
