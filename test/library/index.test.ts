import { describe, expect, it } from 'vitest';
import * as paydoc from 'paydoc';

// The package's own name resolves to src/index.ts (package.json "exports"): what a program that
// depends on paydoc imports.
describe("import from 'paydoc'", () => {
  it('loads, validates, names and runs a document through the public API only', async () => {
    const registry = paydoc.defaultTypeRegistry();
    const validator = new paydoc.DocumentValidator(registry);
    const text = [
      'name: Counter',
      'count: 0',
      'contracts:',
      '  timeline:',
      '    type: Conversation/Timeline Channel',
      '    timelineId: t-1',
      '  bump:',
      '    type: Conversation/Sequential Workflow',
      '    channel: timeline',
      '    steps:',
      '      - type: Conversation/Update Document',
      '        changeset:',
      '          - op: replace',
      '            path: /count',
      '            val: "${document(\'/count\') + 1}"',
    ].join('\n');
    const loaded = paydoc.checkDocument(text, validator);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const id = paydoc.documentBlueId(loaded.document, registry);
    expect(id).toMatch(/^[1-9A-HJ-NP-Za-km-z]{43,44}$/);
    const events = paydoc.parseEvents(
      [{ type: 'Timeline Entry', timeline: { timelineId: 't-1' }, timestamp: 1, message: 'hi' }],
      registry,
    );
    expect(events.ok).toBe(true);
    if (!events.ok) return;
    const run = await paydoc.runOffline(loaded.document, events.events, { registry, validator });
    expect(run.document.count).toBe(1);
    expect(run.blueId).not.toBe(id);
  });

  it('lints with own types: a pattern of an unknown type is an error until the type is given', () => {
    const text = [
      'name: Escrow probe',
      'contracts:',
      '  seller:',
      '    type: Conversation/Timeline Channel',
      '    timelineId: seller',
      '  onShipped:',
      '    type: Conversation/Sequential Workflow',
      '    channel: seller',
      '    event:',
      '      type: Item Shipped',
      '    steps:',
      '      - type: Conversation/Update Document',
      '        changeset:',
      '          - op: replace',
      '            path: /shipped',
      '            val: true',
    ].join('\n');
    const library = paydoc.defaultTypeRegistry();
    const loaded = paydoc.checkDocument(text, new paydoc.DocumentValidator(library));
    if (!loaded.ok) throw new Error('the probe does not load');
    const findings = paydoc.lintDocument(loaded.document, library, {
      positions: loaded.positions,
    });
    expect(findings.map((finding) => [finding.code, finding.position?.line])).toEqual([
      ['unknown_event_type', 10],
    ]);
    expect(paydoc.LINT_CATALOGUE.unknown_event_type.severity).toBe('error');
    const own = paydoc.buildOwnRegistry(paydoc.defaultLibraryPackages(), library, [
      { node: { name: 'Item Shipped', trackingNumber: { type: 'Text' } } },
    ]);
    if (!own.ok) throw new Error(JSON.stringify(own.problems));
    expect(paydoc.lintDocument(loaded.document, own.registry)).toEqual([]);
    expect(own.registry.lookup(`${paydoc.OWN_PACKAGE}/Item Shipped`)?.id).toBe(
      own.registry.lookup('Item Shipped')?.id,
    );
  });

  it('reports a broken document with its line and column', () => {
    const loaded = paydoc.loadDocument('name: [unclosed');
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(paydoc.formatProblem(loaded.problems[0] as paydoc.Problem, 'x.yaml')).toMatch(
      /^x\.yaml:1:\d+: /,
    );
  });

  it('exposes the error catalogue: every code described, unknown codes refused', () => {
    for (const [code, text] of Object.entries(paydoc.ERROR_CATALOGUE)) {
      expect(paydoc.isErrorCode(code)).toBe(true);
      expect(text.length).toBeGreaterThan(10);
    }
    expect(paydoc.isErrorCode('no_such_code')).toBe(false);
  });
});
