import { describe, expect, it } from 'vitest';
import { CORE_TYPE_IDS } from '../../src/model/core-type-ids.js';
import type { JsonObject } from '../../src/model/json.js';
import { buildRegistry } from '../../src/types/build-registry.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';
import { sameJson } from '../../src/types/type-registry.js';
import type { PackageSource } from '../../src/types/type-definition.js';

const registry = defaultTypeRegistry();

function pkg(
  name: string,
  types: Record<string, JsonObject>,
  publishedBlueIds: Record<string, string> = {},
): PackageSource {
  return {
    name,
    publishedBlueIds,
    types: Object.entries(types).map(([typeName, node]) => ({
      name: typeName,
      packageName: name,
      node: { name: typeName, ...node },
    })),
  };
}

describe('the shipped type library', () => {
  it('has the four packages and the seed vocabulary', () => {
    const names = registry.list().map((type) => type.qualifiedName);
    for (const name of [
      'Core/Contract',
      'Core/Channel',
      'Conversation/Timeline Channel',
      'Conversation/Sequential Workflow',
      'Conversation/JavaScript Code',
      'Payments/Card Payment',
      'Payments/Smart Card Payment',
      'Payments/Smart Card Payment no API Access',
      'Payments/MyOS Account',
      'Payments/Capture Payment',
      'Bitcoin/Provide BTC Key',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('resolves short seed names and qualified names to the same type', () => {
    for (const short of [
      'Sequential Workflow',
      'JavaScript Code',
      'Update Document',
      'Trigger Event',
      'Operation',
    ]) {
      expect(registry.lookup(short)?.id).toBe(registry.lookup(`Conversation/${short}`)?.id);
    }
    expect(registry.lookup('Card Payment')?.qualifiedName).toBe('Payments/Card Payment');
  });

  it("resolves the seed's Timeline Channel to the Payments type, a Conversation Timeline Channel", () => {
    const payments = registry.lookup('Timeline Channel');
    const conversation = registry.lookup('Conversation/Timeline Channel');
    expect(payments?.qualifiedName).toBe('Payments/Timeline Channel');
    expect(registry.isSubtype(payments!.id, conversation!.id)).toBe(true);
    expect(registry.isSubtype(registry.lookup('MyOS Account')!.id, conversation!.id)).toBe(true);
  });

  it("understands Blue's published BlueIds as our Conversation types", () => {
    expect(registry.resolveRef({ blueId: 'EvuCWsG1E6WJQg8QXmk6rwMANYTZjoLWVZ1vYQWUwdTH' })).toBe(
      registry.lookup('Conversation/Timeline Channel')?.id,
    );
    expect(registry.lookup('7X3LkN54Yp88JgZbppPhP6hM3Jqiqv8Z2i4kS7phXtQe')?.qualifiedName).toBe(
      'Conversation/Sequential Workflow',
    );
  });

  it('knows the basic types by name and pinned BlueId', () => {
    expect(registry.resolveRef('Integer')).toBe(CORE_TYPE_IDS.Integer);
    expect(registry.resolveRef({ blueId: CORE_TYPE_IDS.Text })).toBe(CORE_TYPE_IDS.Text);
    expect(registry.resolveRef({ value: 'Boolean' })).toBe(CORE_TYPE_IDS.Boolean);
    expect(registry.resolveRef('No Such Type')).toBeUndefined();
  });

  it('merges parent fields and contracts into subtypes', () => {
    const smart = registry.resolve(registry.lookup('Smart Card Payment')!.id);
    expect(Object.keys(smart.spec.fields)).toEqual(
      expect.arrayContaining(['amount', 'currency', 'token', 'captured']),
    );
    expect(Object.keys(smart.contracts)).toEqual(
      expect.arrayContaining(['paymentProcessor', 'merchantApi', 'merchantTimeline']),
    );
    expect(smart.lineage).toContain(registry.lookup('Card Payment')!.id);
  });
});

describe('buildRegistry', () => {
  it('lets a subtype narrow a field and fix a value', () => {
    const built = buildRegistry([
      pkg('P', {
        Base: { kind: { type: 'Text' }, child: { type: 'P/Animal' } },
        Animal: {},
        Dog: { type: 'P/Animal' },
        Narrow: { type: 'P/Base', kind: { type: 'Text', value: 'x' }, child: { type: 'P/Dog' } },
      }),
    ]);
    const narrow = built.resolve(built.lookup('P/Narrow')!.id);
    expect(narrow.spec.fields.kind?.fixed).toBe('x');
    expect(narrow.spec.fields.child?.typeId).toBe(built.lookup('P/Dog')!.id);
  });

  it('refuses to widen a field type', () => {
    expect(() =>
      buildRegistry([
        pkg('P', {
          Base: { n: { type: 'Integer' } },
          Wide: { type: 'P/Base', n: { type: 'Text' } },
        }),
      ]),
    ).toThrow(/does not narrow/);
  });

  it('refuses to change a fixed value', () => {
    expect(() =>
      buildRegistry([
        pkg('P', {
          Base: { n: { type: 'Text', value: 'a' } },
          Changed: { type: 'P/Base', n: { value: 'b' } },
        }),
      ]),
    ).toThrow(/fixed value "a" cannot change to "b"/);
  });

  it('reports unknown references and cycles', () => {
    expect(() => buildRegistry([pkg('P', { A: { f: { type: 'P/Missing' } } })])).toThrow(
      /unknown type 'P\/Missing'/,
    );
    expect(() => buildRegistry([pkg('P', { A: { type: 'P/B' }, B: { type: 'P/A' } })])).toThrow(
      /itself/,
    );
  });

  it('uses a published BlueId when the package lists one, and the computed one as an alias', () => {
    const built = buildRegistry([pkg('P', { A: { f: { type: 'Text' } } }, { A: 'PublishedId' })]);
    const definition = built.lookup('P/A')!;
    expect(definition.id).toBe('PublishedId');
    expect(built.lookup(definition.computedId)?.id).toBe('PublishedId');
  });

  it('resolves short names by package precedence', () => {
    const built = buildRegistry([
      pkg('Conversation', { Thing: {} }),
      pkg('Payments', { Thing: { x: 1 } }),
    ]);
    expect(built.lookup('Thing')?.qualifiedName).toBe('Payments/Thing');
  });
});

describe("names of Object.prototype's members are names like any other", () => {
  it('types called toString or constructor get their own BlueIds, fields and contracts', () => {
    const built = buildRegistry([
      pkg('P', {
        toString: { constructor: { type: 'Integer' } },
        constructor: { type: 'P/toString', valueOf: { type: 'Text' } },
      }),
    ]);
    const toString = built.lookup('P/toString');
    expect(typeof toString?.id).toBe('string');
    expect(toString?.id).toBe(toString?.computedId);
    const child = built.resolve(built.lookup('P/constructor')!.id);
    expect(Object.keys(child.spec.fields).sort()).toEqual(['constructor', 'valueOf']);
    expect(child.lineage).toContain(toString?.id);
  });

  it("reports a reference to 'toString' or 'constructor' as an unknown type", () => {
    for (const name of ['toString', 'constructor', 'hasOwnProperty']) {
      expect(() => buildRegistry([pkg('P', { A: { f: { type: name } } })]), name).toThrow(
        new RegExp(`P/A: unknown type '${name}'`),
      );
    }
  });

  it('sameJson compares own fields only', () => {
    expect(sameJson({ constructor: {} }, { other: {} })).toBe(false);
    expect(sameJson({ toString: {} }, { valueOf: {} })).toBe(false);
    expect(sameJson({ toString: { a: 1 } }, { toString: { a: 1 } })).toBe(true);
  });
});
