import { describe, expect, it } from 'vitest';
import { PaydocError } from '../../../src/errors/paydoc-error.js';
import type { BitcoinNetwork } from '../../../src/payments/bitcoin/keys.js';
import { multisig2of2Address } from '../../../src/payments/bitcoin/multisig.js';

const KEY_A = '026477115981fe981a6918a6297d9803c4dc04f328f22041bedff886bbc2962e01';
const KEY_B = '02c96db2302d19b43d4c69368babace7854cc84eb9e061cde51cfa77ca4a22b8b9';
const ADDRESS_AB = 'bc1q7l77evl0p8p2ynsqxz8tccp3xn8nua6rqh8c5q3qsr0knfvljetsfc7yws';
// OP_2 <33 bytes A> <33 bytes B> OP_2 OP_CHECKMULTISIG
const SCRIPT_AB = `5221${KEY_A}21${KEY_B}52ae`;
const PUBLIC_KEY_1 = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
const UNCOMPRESSED_PUBLIC_KEY_1 =
  '0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8';

describe('multisig2of2Address', () => {
  it('gives the vector P2WSH address and witness script for the keys in the order given', () => {
    expect(multisig2of2Address(KEY_A, KEY_B)).toEqual({
      ok: true,
      value: { address: ADDRESS_AB, witnessScript: SCRIPT_AB, network: 'mainnet' },
    });
    expect(multisig2of2Address(KEY_A, KEY_B, { network: 'mainnet' })).toEqual(
      multisig2of2Address(KEY_A, KEY_B),
    );
  });

  it('does not sort the keys: the other order is another wallet', () => {
    const swapped = multisig2of2Address(KEY_B, KEY_A);
    expect(swapped).toEqual({
      ok: true,
      value: {
        address: 'bc1qwpc79ez6s7x2je3mr5cx2q39a6zxzvz9y2y8t9vpjh8yjnvel7wq5gluj5',
        witnessScript: `5221${KEY_B}21${KEY_A}52ae`,
        network: 'mainnet',
      },
    });
  });

  it('is deterministic', () => {
    const results = Array.from({ length: 5 }, () =>
      JSON.stringify(multisig2of2Address(KEY_A, KEY_B)),
    );
    expect(new Set(results).size).toBe(1);
  });

  it('gives a testnet address with the same script', () => {
    expect(multisig2of2Address(KEY_A, KEY_B, { network: 'testnet' })).toEqual({
      ok: true,
      value: {
        address: 'tb1q7l77evl0p8p2ynsqxz8tccp3xn8nua6rqh8c5q3qsr0knfvljets7sgt5l',
        witnessScript: SCRIPT_AB,
        network: 'testnet',
      },
    });
  });

  it('accepts upper-case hex and writes the script in lower case', () => {
    expect(multisig2of2Address(KEY_A.toUpperCase(), KEY_B)).toEqual(
      multisig2of2Address(KEY_A, KEY_B),
    );
  });

  it('refuses an uncompressed key: segwit requires compressed keys', () => {
    const result = multisig2of2Address(KEY_A, UNCOMPRESSED_PUBLIC_KEY_1);
    expect(result).toMatchObject({ ok: false, code: 'btc_public_key_uncompressed' });
    expect(!result.ok && result.message).toMatch(
      /^second public key is uncompressed .*33-byte compressed form .*0279be66/,
    );
    expect(multisig2of2Address(UNCOMPRESSED_PUBLIC_KEY_1, KEY_B)).toMatchObject({
      ok: false,
      code: 'btc_public_key_uncompressed',
      message: expect.stringMatching(/^first /),
    });
  });

  it.each([
    ['invalid hex', `${KEY_A.slice(0, -2)}zz`],
    ['an odd length', KEY_A.slice(0, -1)],
    ['an empty key', ''],
    ['a 32-byte x-only key', KEY_A.slice(2)],
    ['a point not on the curve', `02${'00'.repeat(31)}05`],
  ])('refuses %s', (_name, key) => {
    expect(multisig2of2Address(KEY_A, key)).toMatchObject({
      ok: false,
      code: 'btc_public_key_invalid',
      message: expect.stringMatching(/^second public key/),
    });
  });

  it('refuses a key that is not a string', () => {
    expect(multisig2of2Address(7 as unknown as string, KEY_B)).toMatchObject({
      ok: false,
      code: 'btc_public_key_invalid',
    });
  });

  it('refuses the same key twice, in any letter case', () => {
    for (const second of [KEY_A, KEY_A.toUpperCase()]) {
      expect(multisig2of2Address(KEY_A, second)).toMatchObject({
        ok: false,
        code: 'btc_multisig_duplicate_key',
      });
    }
    expect(multisig2of2Address(PUBLIC_KEY_1, PUBLIC_KEY_1)).toMatchObject({
      ok: false,
      code: 'btc_multisig_duplicate_key',
    });
  });

  it('throws for a network that does not exist', () => {
    expect(() =>
      multisig2of2Address(KEY_A, KEY_B, { network: 'regtest' as BitcoinNetwork }),
    ).toThrow(PaydocError);
  });
});
