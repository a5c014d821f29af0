import { describe, expect, it } from 'vitest';
import { publicKeyFromWif } from '../../src/sandbox/bitcoin-host.js';
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
