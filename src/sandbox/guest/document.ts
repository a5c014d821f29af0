// document(pointer) inside the guest. In process the host reads (no copy of the document
// crosses over, only what a step asks for); a supervised worker passes the document as JSON
// text, read here by the same reader the host uses (model/author-view.ts).
import { normalizeAuthorPointer, readAuthorViewWith } from '../../model/author-view.js';
import type { AuthorViewOptions } from '../../model/author-view.js';
import type { JsonValue } from '../../model/json.js';
import { jsonParse, jsonStringify, RealError } from './intrinsics.js';

// Sentinel for "read the document through the host" (an invoke with no document text).
const HOST_DOCUMENT = '\u0000host';

let documentJson: string | null = null;
let documentRoot: JsonValue = null;
let documentParsed = false;
// The last document parsed: consecutive steps usually read the same one. Safe to share because
// no part of it is ever handed to guest code (the reader returns copies).
let lastDocumentJson: string | null = null;
let lastDocumentRoot: JsonValue = null;

let readThroughHost: (pointer: string) => string = () => '';
let options: AuthorViewOptions = {
  blueIdOf: () => {
    throw new RealError('no BlueId hashing in this sandbox');
  },
};

/** Wires the host's callbacks: its reader (in process) and its BlueId hashing. */
export function connectDocument(
  hostRead: (pointer: string) => string,
  hostBlueId: (nodeJson: string) => string,
): void {
  readThroughHost = hostRead;
  options = { blueIdOf: (node) => hostBlueId(jsonStringify(node)) };
}

/** The document the next call reads: its JSON text, or '' to read through the host. */
export function beginDocument(text: string): void {
  documentJson = text === '' ? HOST_DOCUMENT : text;
  documentParsed = false;
}

/** After a call: document() fails until the next call begins. */
export function endDocument(): void {
  documentJson = null;
  documentRoot = null;
}

/** What steps receive as `document`. */
export const readDocument = {
  document(pointer: unknown): JsonValue | undefined {
    if (documentJson === null)
      throw new RealError('document() can only be called while the step runs');
    if (documentJson === HOST_DOCUMENT) {
      const json = readThroughHost(normalizeAuthorPointer(pointer));
      return json === '' ? undefined : (jsonParse(json) as JsonValue);
    }
    if (!documentParsed) {
      if (documentJson !== lastDocumentJson) {
        lastDocumentRoot = jsonParse(documentJson) as JsonValue;
        lastDocumentJson = documentJson;
      }
      documentRoot = lastDocumentRoot;
      documentParsed = true;
    }
    return readAuthorViewWith(documentRoot, pointer, options);
  },
}.document;
