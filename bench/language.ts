import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blueId } from '../src/model/blue-id.js';
import type { JsonObject } from '../src/model/json.js';
import { applyPatch } from '../src/processor/apply-patch.js';
import { defaultTypeRegistry } from '../src/types/load-library.js';
import { documentBlueId } from '../src/types/document-id.js';
import { checkDocument, loadDocument } from '../src/validation/check-document.js';
import { DocumentValidator } from '../src/validation/document-validator.js';
import type { BenchResult } from './measure.js';
import { measure } from './measure.js';

/** Issue 2: YAML load + resolve + validate, and BlueId, of the 2 KB Smart Card Payment example. */
export async function languageBenchmarks(): Promise<BenchResult[]> {
  const file = join(import.meta.dirname, '../documents/examples/delivery-guarantee.yaml');
  const text = readFileSync(file, 'utf8');
  const registry = defaultTypeRegistry();
  const validator = new DocumentValidator(registry);
  const loaded = loadDocument(text);
  if (!loaded.ok) throw new Error('example does not load');
  // Enough copies that none is hashed twice in a run (each would be remembered).
  const copies = Array.from({ length: 30_000 }, () => structuredClone(loaded.document));
  let next = 0;
  let state: JsonObject = { ...loaded.document, counter: 0 };
  let count = 0;
  const size = `${(Buffer.byteLength(text) / 1024).toFixed(1)} KB Smart Card Payment (delivery guarantee)`;
  return [
    await measure(
      'load + resolve + validate',
      () => {
        if (!checkDocument(text, validator).ok) throw new Error('invalid');
      },
      { note: size },
    ),
    await measure('validate only (already loaded)', () => validator.validate(loaded.document)),
    // A new document each time (nothing remembered), then the server's case: the next state
    // of a document, which shares all but the patched path with the one hashed before.
    await measure(
      'BlueId (aliases resolved, new document)',
      () => {
        documentBlueId(copies[(next = (next + 1) % copies.length)] as JsonObject, registry);
      },
      { seconds: 1 },
    ),
    await measure('BlueId (aliases resolved, after a patch)', () => {
      const patched = applyPatch(state, { op: 'replace', path: '/counter', val: (count += 1) });
      if (patched.ok) state = patched.document;
      documentBlueId(state, registry);
    }),
    await measure('BlueId (as plain JSON)', () => blueId(loaded.document)),
  ];
}
