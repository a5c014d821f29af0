import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blueId } from '../src/model/blue-id.js';
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
    await measure('BlueId (aliases resolved)', () => documentBlueId(loaded.document, registry)),
    await measure('BlueId (as plain JSON)', () => blueId(loaded.document)),
  ];
}
