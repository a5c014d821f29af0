import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/json.js';
import { pinProblem, requestProblem } from '../../src/processor/operation-request.js';
import { documentBlueId } from '../../src/types/document-id.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';
import { DocumentValidator } from '../../src/validation/document-validator.js';

const registry = defaultTypeRegistry();
const validator = new DocumentValidator(registry);
const initialised: JsonObject = {
  name: 'Pinned',
  counter: 3,
  contracts: { initialized: { type: 'Core/Processing Initialized Marker', documentId: 'AtInit' } },
};

describe('a document pin with allowNewerVersion: false', () => {
  const request = (extra: JsonObject): JsonObject => ({
    type: 'Conversation/Operation Request',
    operation: 'op',
    request: 1,
    ...extra,
  });

  it("is compared with the scope's initialised documentId", () => {
    const pin = { allowNewerVersion: false, document: { blueId: 'AtInit' } };
    expect(pinProblem({ request: request(pin), document: initialised }, registry)).toBeUndefined();
    const stale = { allowNewerVersion: false, document: { blueId: 'Older' } };
    expect(pinProblem({ request: request(stale), document: initialised }, registry)).toMatch(
      /pinned to document Older .* this document is AtInit/,
    );
  });

  it('matters only when newer versions are refused and a document is pinned', () => {
    const scope = { document: initialised };
    const newer = { allowNewerVersion: true, document: { blueId: 'Older' } };
    expect(pinProblem({ ...scope, request: request(newer) }, registry)).toBeUndefined();
    expect(
      pinProblem({ ...scope, request: request({ allowNewerVersion: false }) }, registry),
    ).toBeUndefined();
  });

  it('hashes a pinned document node, and an uninitialised scope as it is now', () => {
    const plain: JsonObject = { name: 'Plain', counter: 1 };
    const pin = { allowNewerVersion: false, document: plain };
    expect(pinProblem({ request: request(pin), document: plain }, registry)).toBeUndefined();
    const byId = {
      allowNewerVersion: false,
      document: { blueId: documentBlueId(plain, registry) },
    };
    expect(pinProblem({ request: request(byId), document: plain }, registry)).toBeUndefined();
  });

  it('is checked after the request type, by requestProblem', () => {
    const stale = request({ allowNewerVersion: false, document: { blueId: 'Older' } });
    const pin = { request: stale, document: initialised };
    const declared = { type: 'Integer' };
    expect(requestProblem(declared, 'x', registry, validator, pin)).toMatch(/of type Integer/);
    expect(requestProblem(declared, 1, registry, validator, pin)).toMatch(/pinned/);
    expect(requestProblem(undefined, undefined, registry, validator, pin)).toMatch(/pinned/);
  });
});
