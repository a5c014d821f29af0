import { describe, expect, it } from 'vitest';
import { readAuthorView } from '../../src/model/read-author-view.js';

describe('readAuthorView (what document(pointer) returns)', () => {
  const doc = {
    amount: { type: 'Integer', value: 1000 },
    refunds: { type: 'List', items: [{ amount: { value: 5 } }] },
    plain: [1, 2],
    'a/b': { '~c': 3 },
  };

  it('unwraps values and lists, deeply, and enters item lists by index', () => {
    expect(readAuthorView(doc, '/amount')).toBe(1000);
    expect(readAuthorView(doc, '/refunds')).toEqual([{ amount: 5 }]);
    expect(readAuthorView(doc, '/refunds/0/amount')).toBe(5);
    expect(readAuthorView(doc, '/plain/1')).toBe(2);
    expect(readAuthorView(doc, '/a~1b/~0c')).toBe(3);
  });

  it('reads missing paths as undefined, a path without its slash as the reference does, and refuses malformed pointers', () => {
    expect(readAuthorView(doc, '/missing/x')).toBeUndefined();
    expect(readAuthorView(doc, '/plain/x')).toBeUndefined();
    expect(readAuthorView(doc, 'amount')).toEqual(readAuthorView(doc, '/amount'));
    expect(readAuthorView(doc, 'amount')).not.toBeUndefined();
    expect(() => readAuthorView(doc, '/a~2')).toThrow(/"~" must be followed by 0 or 1/);
  });
});
