import type { Problem } from '../errors/problem.js';
import type { JsonObject } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import type { SourceMap } from '../model/load-yaml.js';
import { loadYaml } from '../model/load-yaml.js';
import type { DocumentValidator } from './document-validator.js';

export type DocumentLoad =
  { ok: true; document: JsonObject; positions: SourceMap } | { ok: false; problems: Problem[] };

/** Loads YAML/JSON text whose root must be a map (a document). */
export function loadDocument(text: string): DocumentLoad {
  const loaded = loadYaml(text);
  if (!loaded.ok) return loaded;
  if (!isJsonObject(loaded.value)) {
    return {
      ok: false,
      problems: [
        {
          code: 'invalid_node',
          message: 'a document must be a map at its top level',
          pointer: '',
          position: { line: 1, col: 1 },
        },
      ],
    };
  }
  return { ok: true, document: loaded.value, positions: loaded.positions };
}

/** Loads and validates a document: the whole path from text to a checked document. */
export function checkDocument(text: string, validator: DocumentValidator): DocumentLoad {
  const loaded = loadDocument(text);
  if (!loaded.ok) return loaded;
  const problems = validator.validate(loaded.document, loaded.positions);
  return problems.length > 0 ? { ok: false, problems } : loaded;
}
