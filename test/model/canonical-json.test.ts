import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/model/canonical-json.js';
import { base58Encode } from '../../src/model/base58.js';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units and drops whitespace', () => {
    // RFC 8785 §3.2.3 sorting example: code-unit order, not locale order.
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew',
      '1': 'One',
      '\ud83d\ude00': 'Emoji',
      '\u0080': 'Control',
      '\u00f6': 'Latin',
    };
    const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
    const expected = `{${order.map((key) => `${JSON.stringify(key)}:${JSON.stringify(input[key as keyof typeof input])}`).join(',')}}`;
    expect(canonicalJson(input)).toBe(expected);
  });

  it('serialises numbers the ECMAScript way', () => {
    expect(canonicalJson([1e21, 1e-7, 0.000001, 333333333.3333333, -0, 100])).toBe(
      '[1e+21,1e-7,0.000001,333333333.3333333,0,100]',
    );
  });

  it('nests objects and arrays', () => {
    expect(canonicalJson({ b: [true, null, 'x'], a: { d: 1, c: 2 } })).toBe(
      '{"a":{"c":2,"d":1},"b":[true,null,"x"]}',
    );
  });
});

describe('base58Encode (bitcoin alphabet)', () => {
  it('encodes known vectors', () => {
    expect(base58Encode(Buffer.from('Hello World!'))).toBe('2NEpo7TZRRrLZSi2U');
    expect(base58Encode(Buffer.from('The quick brown fox jumps over the lazy dog'))).toBe(
      '7DdiPPYtxLjCD3wA1po2rvZHTDYjkZYiEtazrfiwJcwnKCizhGFhBGHeRdx',
    );
  });

  it('keeps leading zero bytes as 1s', () => {
    expect(base58Encode(Uint8Array.from([0, 0, 0, 1]))).toBe('1112');
    expect(base58Encode(new Uint8Array(0))).toBe('');
  });
});
