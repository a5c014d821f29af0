import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/json.js';
import { buildRegistry } from '../../src/types/build-registry.js';
import {
  DEFAULT_LIBRARY_DIR,
  defaultTypeRegistry,
  readPackages,
} from '../../src/types/load-library.js';
import { checkDocument } from '../../src/validation/check-document.js';
import { DocumentValidator } from '../../src/validation/document-validator.js';

const validator = new DocumentValidator(defaultTypeRegistry());
const examplesDir = join(import.meta.dirname, '../../documents/examples');
const invalidDir = join(import.meta.dirname, '../fixtures/invalid');

function check(text: string) {
  return checkDocument(text, validator);
}

describe('the seed examples', () => {
  const files = readdirSync(examplesDir).filter((file) => file.endsWith('.yaml'));
  it('include every seed 003 document', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });
  for (const file of files) {
    it(`${file} validates`, () => {
      const result = check(readFileSync(join(examplesDir, file), 'utf8'));
      expect(result.ok ? [] : result.problems).toEqual([]);
    });
  }
});

// Each broken document: the line and code it must report, and words the message must use.
const BROKEN: Record<string, { line: number; code: string; words: RegExp }> = {
  'wrong-field-type.yaml': {
    line: 3,
    code: 'validation_failed',
    words: /currency must be a text, got 840/,
  },
  'missing-required-field.yaml': {
    line: 1,
    code: 'validation_failed',
    words: /missing required field 'amount'/,
  },
  'unknown-type.yaml': { line: 1, code: 'unknown_type', words: /unknown type 'Card Paymnet'/ },
  'duplicate-key.yaml': { line: 4, code: 'yaml_duplicate_key', words: /duplicate key 'amount'/ },
  'bad-indentation.yaml': { line: 8, code: 'yaml_syntax', words: /same column/ },
  'float-amount.yaml': {
    line: 2,
    code: 'validation_failed',
    words: /amount must be an integer, got 10.5/,
  },
  'alias-bomb.yaml': { line: 7, code: 'yaml_alias_limit', words: /aliases/ },
  'huge-integer.yaml': {
    line: 2,
    code: 'yaml_unsafe_integer',
    words: /12345678901234567890 is beyond/,
  },
  'contract-wrong-type.yaml': {
    line: 7,
    code: 'validation_failed',
    words: /Internal Logic Channel is not a Payments\/Timeline Channel/,
  },
  'fixed-value-changed.yaml': {
    line: 8,
    code: 'validation_failed',
    words: /provider is fixed to "stripe.com"/,
  },
};

describe('broken documents', () => {
  it('covers every fixture', () => {
    expect(readdirSync(invalidDir).sort()).toEqual(Object.keys(BROKEN).sort());
  });
  for (const [file, expected] of Object.entries(BROKEN)) {
    it(`${file}: ${expected.code} at line ${expected.line}, in well under a second`, () => {
      const started = performance.now();
      const result = check(readFileSync(join(invalidDir, file), 'utf8'));
      expect(performance.now() - started).toBeLessThan(1000);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const [first] = result.problems;
      expect(first).toMatchObject({ code: expected.code, position: { line: expected.line } });
      expect(first?.message).toMatch(expected.words);
    });
  }
});

describe('validation rules', () => {
  const card = (extra: string) =>
    `type: Card Payment\namount: 1000\ncurrency: USD\ntoken: tok_visa\n${extra}`;

  it('accepts value wrappers and typed scalars for basic fields', () => {
    expect(
      check(
        'type: Card Payment\namount: {type: Integer, value: 5}\ncurrency: {value: USD}\ntoken: tok_visa\n',
      ).ok,
    ).toBe(true);
  });

  it('enforces schema keywords (minimum, enum, minLength)', () => {
    const zero = check('type: Card Payment\namount: 0\ncurrency: USD\ntoken: tok_visa\n');
    expect(!zero.ok && zero.problems[0]?.message).toMatch(/amount must be >= 1/);
    const status = check(card('status: bogus\n'));
    expect(!status.ok && status.problems[0]?.message).toMatch(/status must be one of/);
    const currency = check('type: Card Payment\namount: 1\ncurrency: US\ntoken: tok_visa\n');
    expect(!currency.ok && currency.problems[0]?.pointer).toBe('/currency');
  });

  it('validates typed nested nodes and list items against their own type', () => {
    const bad = check(card('refunds:\n  - type: Refund\n    amount: 1.5\n'));
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems.find((p) => p.pointer === '/refunds/0/amount')).toMatchObject({
      position: { line: 7 },
    });
    expect(bad.problems.map((p) => p.message)).toContain(
      "missing required field 'refundId' in refunds/0",
    );
  });

  it('accepts extra fields on an instance (types are open)', () => {
    expect(check(card('orderTimestamp: "2023-08-15T12:30:00Z"\n')).ok).toBe(true);
  });

  it('checks contracts: unknown contract types and contracts without a type', () => {
    const unknown = check(card('contracts:\n  x:\n    type: Nope Channel\n'));
    expect(!unknown.ok && unknown.problems[0]).toMatchObject({
      code: 'unknown_type',
      position: { line: 7 },
    });
    const untyped = check(card('contracts:\n  x:\n    channel: y\n'));
    expect(!untyped.ok && untyped.problems[0]?.message).toMatch(/contract 'x' needs a type/);
  });

  it('checks workflow steps against their step types', () => {
    const doc = card(
      'contracts:\n  c:\n    type: Timeline Channel\n    timelineId: t\n  w:\n    type: Sequential Workflow\n    channel: c\n    steps:\n      - name: S\n        type: JavaScript Code\n',
    );
    const result = check(doc);
    expect(!result.ok && result.problems[0]?.message).toMatch(/missing required field 'code'/);
  });

  it('rejects a node with both a value and fields', () => {
    const result = check('a:\n  value: 1\n  b: 2\n');
    expect(!result.ok && result.problems[0]).toMatchObject({
      code: 'invalid_node',
      position: { line: 1 },
    });
  });

  it('rejects a document that is not a map', () => {
    expect(check('- a\n- b\n').ok).toBe(false);
  });
});

describe("fields named like Object.prototype's members", () => {
  const NAMES = [
    'constructor',
    'toString',
    'valueOf',
    'hasOwnProperty',
    'isPrototypeOf',
    '__defineGetter__',
  ];

  it('are data in untyped and typed documents, contracts and revalidation', () => {
    for (const name of NAMES) {
      const untyped = JSON.parse(
        JSON.stringify({
          [name]: { a: 1 },
          nested: { [name]: { [name]: 'x' } },
          list: [{ [name]: {} }],
        }),
      ) as JsonObject;
      expect(validator.validate(untyped), name).toEqual([]);
      const typed = check(
        `type: Card Payment\namount: 1000\ncurrency: USD\ntoken: tok_visa\n${name}:\n  ${name}: 1\ncontracts:\n  ${name}:\n    type: Timeline Channel\n    timelineId: t\n`,
      );
      expect(typed.ok ? [] : typed.problems, name).toEqual([]);
      const changed = { ...untyped, extra: { [name]: { b: 2 } } };
      expect(validator.revalidate(changed, untyped), name).toEqual([]);
    }
  });

  it("are checked as a type declares them, present only when the instance's own", () => {
    const odd: JsonObject = {
      name: 'Odd Thing',
      toString: { type: 'Integer' },
      constructor: { type: 'Text', schema: { required: true } },
    };
    const registry = buildRegistry([
      ...readPackages(DEFAULT_LIBRARY_DIR),
      {
        name: 'Odd',
        publishedBlueIds: {},
        types: [{ name: 'Odd Thing', packageName: 'Odd', node: odd }],
      },
    ]);
    const oddValidator = new DocumentValidator(registry);
    expect(oddValidator.validate({ type: 'Odd/Odd Thing', constructor: 'c' })).toEqual([]);
    expect(oddValidator.validate({ type: 'Odd/Odd Thing', constructor: 'c', toString: 5 })).toEqual(
      [],
    );
    expect(oddValidator.validate({ type: 'Odd/Odd Thing' })).toMatchObject([
      { code: 'validation_failed', message: "missing required field 'constructor'" },
    ]);
    expect(
      oddValidator.validate({ type: 'Odd/Odd Thing', constructor: 'c', toString: 'x' }),
    ).toMatchObject([{ code: 'validation_failed', pointer: '/toString' }]);
  });
});
