import { describe, expect, it } from 'vitest';
import { blueId } from '../../src/model/blue-id.js';
import { documentBlueId } from '../../src/types/document-id.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';
import { checkDocument } from '../../src/validation/check-document.js';
import { DocumentValidator } from '../../src/validation/document-validator.js';

const registry = defaultTypeRegistry();
const validator = new DocumentValidator(registry);

function problemsOf(text: string) {
  const result = checkDocument(text, validator);
  return result.ok ? [] : result.problems;
}

describe('itemType, keyType and valueType of a node', () => {
  it('refuses a list item of another type than the itemType', () => {
    expect(problemsOf('l:\n  type: List\n  itemType: Integer\n  items: [1, two]\n')).toMatchObject([
      { code: 'validation_failed', pointer: '/l/1', message: 'l/1 must be an integer, got "two"' },
    ]);
    expect(problemsOf('l:\n  type: List\n  itemType: Integer\n  items: [1, 2]\n')).toEqual([]);
  });

  it('refuses a dictionary value or key its valueType or keyType does not allow', () => {
    const dictionary = (entries: string) =>
      `d:\n  type: Dictionary\n  keyType: Integer\n  valueType: Integer\n${entries}`;
    expect(problemsOf(dictionary("  '1': 1\n  '2': 2\n"))).toEqual([]);
    expect(problemsOf(dictionary("  '1': one\n"))).toMatchObject([
      { pointer: '/d/1', message: 'd/1 must be an integer, got "one"' },
    ]);
    expect(problemsOf(dictionary('  b: 1\n'))).toMatchObject([
      { pointer: '/d/b', message: "d has a key 'b' that its keyType does not allow" },
    ]);
  });

  it('reports an unknown itemType', () => {
    expect(problemsOf('l:\n  itemType: Nope\n  items: [1]\n')).toMatchObject([
      { code: 'unknown_type', pointer: '/l/itemType' },
    ]);
  });

  it('honours them in a declared request, nested in fields', () => {
    const declared = {
      counts: { type: 'List', itemType: 'Integer' },
      amounts: { type: 'Dictionary', valueType: 'Integer' },
    };
    expect(validator.validateDeclared({ counts: [1, 2], amounts: { a: 1 } }, declared)).toEqual([]);
    expect(validator.validateDeclared({ counts: [1, 'x'] }, declared)).toMatchObject([
      { pointer: '/counts/1' },
    ]);
    expect(validator.validateDeclared({ amounts: { a: 'x' } }, declared)).toMatchObject([
      { pointer: '/amounts/a' },
    ]);
    expect(validator.validateDeclared([1, 'x'], { itemType: 'Integer' })).toMatchObject([
      { pointer: '/1' },
    ]);
  });
});

describe('valid Blue that loads', () => {
  it('accepts a typed node with no value, of a basic type', () => {
    expect(problemsOf('x:\n  type: Text\nn:\n  type: Integer\nl:\n  type: List\n')).toEqual([]);
  });

  it('still owes the required fields of a type with fields', () => {
    expect(problemsOf('s:\n  type: JavaScript Code\n')).not.toEqual([]);
  });

  it('resolves an inline anonymous type: its parent, and its fields overlaid', () => {
    expect(problemsOf('y:\n  type:\n    name: TypeX\n  z: 1\n')).toEqual([]);
    expect(problemsOf('y:\n  type:\n    name: Big\n    type: Integer\n  value: 3\n')).toEqual([]);
    expect(
      problemsOf('y:\n  type:\n    name: Big\n    type: Integer\n  value: three\n'),
    ).toMatchObject([{ code: 'validation_failed', pointer: '/y' }]);
    expect(
      problemsOf('p:\n  type:\n    name: P\n    x:\n      type: Integer\n  x: abc\n'),
    ).toMatchObject([{ pointer: '/p/x', message: 'p/x must be an integer, got "abc"' }]);
    expect(problemsOf('y:\n  type:\n    name: X\n    type: Nope\n')).toMatchObject([
      { code: 'unknown_type', pointer: '/y/type/type' },
    ]);
  });

  it('hashes both as blue-js does: the type node as written, aliases as BlueIds', () => {
    const text = registry.lookup('Text')?.id as string;
    expect(documentBlueId({ x: { type: 'Text' } }, registry)).toBe(
      blueId({ x: { type: { blueId: text } } }),
    );
    expect(documentBlueId({ y: { type: { name: 'TypeX', type: 'Text' } } }, registry)).toBe(
      blueId({ y: { type: { name: 'TypeX', type: { blueId: text } } } }),
    );
  });
});

describe('load-time contract refusals', () => {
  const channel = '  c:\n    type: Conversation/Timeline Channel\n    timelineId: t\n';
  it('refuses a checkpoint before initialisation, not after', () => {
    const checkpoint = '  checkpoint:\n    type: Core/Channel Event Checkpoint\n';
    expect(problemsOf(`contracts:\n${channel}${checkpoint}`)).toMatchObject([
      { code: 'validation_failed', pointer: '/contracts/checkpoint', position: { line: 5 } },
    ]);
    const initialized =
      '  initialized:\n    type: Core/Processing Initialized Marker\n    documentId: X\n';
    expect(problemsOf(`contracts:\n${channel}${initialized}${checkpoint}`)).toEqual([]);
  });

  it('refuses a checkpoint under another key', () => {
    expect(
      problemsOf(`contracts:\n${channel}  mine:\n    type: Core/Channel Event Checkpoint\n`),
    ).toMatchObject([
      { pointer: '/contracts/mine', message: expect.stringContaining("contract 'mine'") },
    ]);
  });

  it('refuses an operation handler with no channel on itself or its Operation', () => {
    const handler =
      '  h:\n    type: Conversation/Sequential Workflow Operation\n    operation: op\n    steps: []\n';
    const operation = (extra: string) => `  op:\n    type: Conversation/Operation\n${extra}`;
    expect(problemsOf(`contracts:\n${channel}${operation('')}${handler}`)).toMatchObject([
      { pointer: '/contracts/h', message: expect.stringContaining("its Operation 'op'") },
    ]);
    expect(problemsOf(`contracts:\n${channel}${operation('    channel: c\n')}${handler}`)).toEqual(
      [],
    );
    expect(problemsOf(`contracts:\n${channel}${handler}`)).toMatchObject([
      { pointer: '/contracts/h', message: expect.stringContaining("'op' is not an Operation") },
    ]);
  });
});
