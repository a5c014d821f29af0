import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../src/tlog/base64.js';

describe('strict base64', () => {
  it('decodes exactly what it encodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        const text = encodeBase64(bytes);
        expect(decodeBase64(text)).toEqual(new Uint8Array(bytes));
      }),
    );
  });

  it('encodes a view of a larger buffer as just the view', () => {
    const backing = Uint8Array.of(1, 2, 3, 4, 5);
    expect(encodeBase64(backing.subarray(1, 3))).toBe(encodeBase64(Uint8Array.of(2, 3)));
  });

  it('refuses what Node’s lenient decoder would accept', () => {
    for (const text of [
      'AAA', // missing padding
      'AA=',
      'AAB=', // unused bits set
      'AB==',
      ' AAAA',
      'AAAA ',
      'AA\nAA',
      'AA-_', // URL-safe alphabet
      'AAAA=',
      '====',
      'A===',
      'AA==AA==',
    ]) {
      expect([text, decodeBase64(text)]).toEqual([text, undefined]);
    }
    expect(decodeBase64('')).toEqual(new Uint8Array(0));
  });
});
