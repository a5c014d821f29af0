import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/model/json.js';
import { applyPatch } from '../../src/processor/apply-patch.js';
import { documentBlueId, documentBlueIdByCopy } from '../../src/types/document-id.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';
import { loadDocument } from '../../src/validation/check-document.js';

// documentBlueId hashes without copying and remembers each node's id; it must agree with the
// definition (replace the aliases, clean, hash) on everything, and after changes too.
const registry = defaultTypeRegistry();
const root = new URL('../../', import.meta.url).pathname;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? yamlFiles(join(dir, entry.name))
      : entry.name.endsWith('.yaml')
        ? [join(dir, entry.name)]
        : [],
  );
}

const leaf = fc.oneof(
  fc.constantFrom<JsonValue>(null, 0, 1, -7, 2.5, true, false, '', 'x', 'Card Payment'),
  fc.string({ maxLength: 6 }),
);
const key = fc.constantFrom(
  'type',
  'itemType',
  'keyType',
  'valueType',
  'value',
  'blueId',
  'items',
  'name',
  'description',
  'amount',
  'a',
  'b',
);
const alias = fc.constantFrom<JsonValue>(
  'Integer',
  'Text',
  'List',
  'Card Payment',
  'Payments/Card Payment',
  'Conversation/Timeline Entry',
  'Nope',
  { value: 'Integer' },
  { blueId: 'AbC' },
);
const { node } = fc.letrec<{ node: JsonValue }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    leaf,
    alias,
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(key, tie('node'), { maxKeys: 4 }),
  ),
}));

describe('documentBlueId', () => {
  it('agrees with the copying definition on every document and type the project ships', () => {
    const files = [
      ...yamlFiles(join(root, 'documents')),
      ...yamlFiles(join(root, 'bench/workloads')),
      ...yamlFiles(join(root, 'docs')),
    ];
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const loaded = loadDocument(readFileSync(file, 'utf8'));
      if (!loaded.ok) continue;
      expect(documentBlueId(loaded.document, registry), file).toBe(
        documentBlueIdByCopy(loaded.document, registry),
      );
    }
  });

  it('agrees on any tree: nulls, empty maps and lists, aliases known and not, raw values', () => {
    fc.assert(
      fc.property(node, (value) => {
        expect(documentBlueId(value, registry)).toBe(documentBlueIdByCopy(value, registry));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees after patches that share the unchanged parts of the tree', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('a', 'b', 'c', 'type'), node, { minKeys: 1, maxKeys: 4 }),
        fc.array(fc.tuple(fc.constantFrom('/a', '/b', '/c/d', '/a/x', '/b/0'), node), {
          minLength: 1,
          maxLength: 6,
        }),
        (start, changes) => {
          let document = start as Record<string, JsonValue>;
          documentBlueId(document, registry);
          for (const [path, val] of changes) {
            const outcome = applyPatch(document, { op: 'replace', path, val });
            if (!outcome.ok) continue;
            document = outcome.document as Record<string, JsonValue>;
            expect(documentBlueId(document, registry)).toBe(
              documentBlueIdByCopy(document, registry),
            );
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
