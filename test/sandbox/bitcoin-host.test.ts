import { describe, expect, it } from 'vitest';
import {
  multisigJsonForGuest,
  multisig2of2ForGuest,
  publicKeyFromWif,
} from '../../src/sandbox/bitcoin-host.js';
import {
  PUBLIC_KEY_1,
  TESTNET_WIF_KEY_1,
  UNCOMPRESSED_PUBLIC_KEY_1,
  UNCOMPRESSED_WIF_KEY_1,
  WIF_KEY_1,
} from './seed-steps.js';

describe('publicKeyFromWif', () => {
  it('derives the compressed public key of a compressed mainnet WIF', () => {
    expect(publicKeyFromWif(WIF_KEY_1)).toBe(PUBLIC_KEY_1);
  });

  it('accepts testnet WIFs', () => {
    expect(publicKeyFromWif(TESTNET_WIF_KEY_1)).toBe(PUBLIC_KEY_1);
  });

  it('derives the uncompressed key of an uncompressed WIF, as ecpair does', () => {
    expect(publicKeyFromWif(UNCOMPRESSED_WIF_KEY_1)).toBe(UNCOMPRESSED_PUBLIC_KEY_1);
  });

  it.each([
    ['an empty string', ''],
    ['garbage', 'not a key'],
    ['a bad checksum', WIF_KEY_1.slice(0, -1) + 'm'],
    ['a very long string', 'K'.repeat(10_000)],
    ['a public key', PUBLIC_KEY_1],
  ])('throws a clear error for %s', (_name, wif) => {
    expect(() => publicKeyFromWif(wif)).toThrow(/^invalid WIF private key/);
  });

  it('throws for a value that is not a string', () => {
    expect(() => publicKeyFromWif(42 as unknown as string)).toThrow(
      'invalid WIF private key: expected a string',
    );
  });
});

const KEY_A = '026477115981fe981a6918a6297d9803c4dc04f328f22041bedff886bbc2962e01';
const KEY_B = '02c96db2302d19b43d4c69368babace7854cc84eb9e061cde51cfa77ca4a22b8b9';
const WALLET_AB = {
  address: 'bc1q7l77evl0p8p2ynsqxz8tccp3xn8nua6rqh8c5q3qsr0knfvljetsfc7yws',
  witnessScript: `5221${KEY_A}21${KEY_B}52ae`,
};

describe('multisig2of2ForGuest', () => {
  it('builds the mainnet 2-of-2 P2WSH wallet of the keys in the order given', () => {
    expect(multisig2of2ForGuest(KEY_A, KEY_B)).toEqual(WALLET_AB);
  });

  it('throws the refusal as an Error message', () => {
    expect(() => multisig2of2ForGuest(KEY_A, UNCOMPRESSED_PUBLIC_KEY_1)).toThrow(
      /^multisig2of2\(\): second public key is uncompressed/,
    );
    expect(() => multisig2of2ForGuest(KEY_A, 42)).toThrow(/expects two hex public keys/);
  });
});

describe('the multisig callback', () => {
  it('answers with the wallet as JSON text', () => {
    expect(JSON.parse(multisigJsonForGuest(KEY_A, KEY_B))).toEqual(WALLET_AB);
  });

  it('refuses what multisig2of2ForGuest refuses', () => {
    expect(() => multisigJsonForGuest(KEY_A, KEY_A)).toThrow(/multisig2of2\(\)/);
  });
});
