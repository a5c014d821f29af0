import { describe, expect, it } from 'vitest';
import { evaluateExpression, Unsupported } from '../../../src/processor/steps/expression.js';
import { splitTemplate } from '../../../src/processor/steps/template.js';

const scope = {
  event: { message: { request: 501, name: 'x', list: [1, 2, 3], nested: { deep: true } } },
  steps: { Compute: { value: 7 } },
  entry: null,
  currentContract: {},
  document: (pointer: unknown) =>
    ({ '/amount': 1000, '/amountCaptured': 200 })[String(pointer) as '/amount'],
};

describe('the ${} evaluator', () => {
  it('matches JavaScript on the subset it accepts', () => {
    const cases = [
      "event.message.request <= document('/amount') ? event.message.request : document('/amountCaptured')",
      "document('/amount') + 1",
      'steps.Compute.value * 2 - 1',
      "event.message.name + '!'",
      'event.message.list[1]',
      'event.message.list.length',
      '!event.message.nested.deep || null',
      'event.message.missing ?? 5',
      'event.message.missing?.x',
      'typeof event.message.request',
      "event.message.request === 501 && event.message.name !== 'y'",
      '-(3 + 4) % 5',
      '10 / 4',
      '"a\\nb"',
      '1e3 + .5',
      "document('/missing') ?? []",
      "[document('/amount'), event.message.list[0], [], 'x']",
      '[1, 2,].length',
    ];
    for (const source of cases) {
      const reference = new Function(
        'event',
        'steps',
        'entry',
        'currentContract',
        'document',
        `return (${source});`,
      )(scope.event, scope.steps, scope.entry, scope.currentContract, scope.document);
      expect(evaluateExpression(source, scope), source).toEqual(reference);
    }
  });

  it('is Unsupported beyond the subset, so the caller uses the sandbox', () => {
    for (const source of [
      'event.message.list.map(x => x)',
      'Math.max(1, 2)',
      '[1, , 2]',
      '[...event.message.list]',
      '({a: 1})',
      'process.exit()',
      'event.constructor',
      'a = 1',
      '`t`',
    ]) {
      expect(() => evaluateExpression(source, scope), source).toThrow(Unsupported);
    }
  });

  it("reads own fields named like Object.prototype's members as data", () => {
    const odd = {
      ...scope,
      event: JSON.parse(
        '{"constructor": 1, "toString": "t", "valueOf": {"hasOwnProperty": true}, "prototype": 3}',
      ) as unknown,
    };
    expect(evaluateExpression('event.constructor', odd)).toBe(1);
    expect(evaluateExpression('event.toString', odd)).toBe('t');
    expect(evaluateExpression("event['valueOf'].hasOwnProperty", odd)).toBe(true);
    expect(evaluateExpression('event.prototype + event.constructor', odd)).toBe(4);
  });

  it('leaves inherited members and bare names of Object.prototype to the sandbox', () => {
    for (const source of [
      'toString',
      'constructor',
      'valueOf',
      'hasOwnProperty',
      'event.toString',
      'event.message.nested.hasOwnProperty',
      'event.message.list.map',
      'event.__proto__',
      'steps.Compute.__defineGetter__',
    ]) {
      expect(() => evaluateExpression(source, scope), source).toThrow(Unsupported);
    }
  });

  it('throws a TypeError like JavaScript for a property of undefined', () => {
    expect(() => evaluateExpression('event.nothing.here', scope)).toThrow(TypeError);
  });
});

describe('splitTemplate', () => {
  it('finds exact and embedded expressions, matching braces and quotes', () => {
    expect(splitTemplate('${a}')).toEqual([{ expr: 'a' }]);
    expect(splitTemplate('x ${a} y ${b}')).toEqual([
      { text: 'x ' },
      { expr: 'a' },
      { text: ' y ' },
      { expr: 'b' },
    ]);
    expect(splitTemplate('${ {a: 1}.a }')).toEqual([{ expr: '{a: 1}.a' }]);
    expect(splitTemplate('${"}"}')).toEqual([{ expr: '"}"' }]);
    expect(splitTemplate('no expressions')).toBeUndefined();
    expect(splitTemplate('unclosed ${a')).toBeUndefined();
  });
});
