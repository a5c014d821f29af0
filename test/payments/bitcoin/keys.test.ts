import { crypto as bitcoinCrypto } from 'bitcoinjs-lib';
import { ECPairFactory, networks } from 'ecpair';
import fc from 'fast-check';
import * as ecc from 'tiny-secp256k1';
import { describe, expect, it } from 'vitest';
import { base58Encode } from '../../../src/model/base58.js';
import { PaydocError } from '../../../src/errors/paydoc-error.js';
import {
  decodeWif,
  parsePublicKey,
  publicKeyFromWif,
  wifMatchesPublicKey,
} from '../../../src/payments/bitcoin/keys.js';
import type {
  BitcoinKeyErrorCode,
  BitcoinKeyResult,
  BitcoinNetwork,
} from '../../../src/payments/bitcoin/keys.js';

const ECPair = ECPairFactory(ecc);

/** Private key 1 as a compressed mainnet WIF, and its public key (the generator point G). */
const WIF_1 = 'KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn';
const PUBLIC_KEY_1 = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
const TESTNET_WIF_1 = 'cMahea7zqjxrtgAbB7LSGbcQUr1uX1ojuat9jZodMN87JcbXMTcA';
const UNCOMPRESSED_WIF_1 = '5HpHagT65TZzG1PH3CSu63k8DbpvD8s5ip4nEB3kEsreAnchuDf';
const UNCOMPRESSED_PUBLIC_KEY_1 =
  '0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8';

/** Base58check of `payload`, to build WIF-shaped strings that are wrong in one way. */
function base58Check(payload: Uint8Array): string {
  const checksum = bitcoinCrypto.hash256(payload).subarray(0, 4);
  const bytes = new Uint8Array(payload.length + 4);
  bytes.set(payload);
  bytes.set(checksum, payload.length);
  return base58Encode(bytes);
}

function wifPayload(version: number, key: Uint8Array, flag?: number): Uint8Array {
  return Uint8Array.from([version, ...key, ...(flag === undefined ? [] : [flag])]);
}

const KEY_ONE = Uint8Array.from({ length: 32 }, (_, index) => (index === 31 ? 1 : 0));

function expectFailure(
  result: BitcoinKeyResult<unknown>,
  code: BitcoinKeyErrorCode,
  message?: RegExp,
): void {
  expect(result).toMatchObject({ ok: false, code });
  if (message !== undefined && !result.ok) expect(result.message).toMatch(message);
}

describe('publicKeyFromWif', () => {
  it('derives the vector public key from the vector WIF', () => {
    expect(publicKeyFromWif(WIF_1)).toEqual({ ok: true, value: PUBLIC_KEY_1 });
  });

  it('is deterministic', () => {
    const results = Array.from({ length: 5 }, () => publicKeyFromWif(WIF_1));
    expect(new Set(results.map((result) => JSON.stringify(result))).size).toBe(1);
  });

  it('refuses a testnet WIF when mainnet is required (the default)', () => {
    expectFailure(
      publicKeyFromWif(TESTNET_WIF_1),
      'btc_wif_wrong_network',
      /a testnet WIF private key where a mainnet key is required/,
    );
    expectFailure(publicKeyFromWif(TESTNET_WIF_1, { network: 'mainnet' }), 'btc_wif_wrong_network');
  });

  it('refuses a mainnet WIF when testnet is required', () => {
    expectFailure(publicKeyFromWif(WIF_1, { network: 'testnet' }), 'btc_wif_wrong_network');
  });

  it('accepts a testnet WIF on testnet or any network', () => {
    expect(publicKeyFromWif(TESTNET_WIF_1, { network: 'testnet' })).toEqual({
      ok: true,
      value: PUBLIC_KEY_1,
    });
    expect(publicKeyFromWif(TESTNET_WIF_1, { network: 'any' })).toEqual({
      ok: true,
      value: PUBLIC_KEY_1,
    });
    expect(publicKeyFromWif(WIF_1, { network: 'any' })).toEqual({ ok: true, value: PUBLIC_KEY_1 });
  });

  it('refuses a WIF with a corrupted checksum', () => {
    expectFailure(publicKeyFromWif(`${WIF_1.slice(0, -1)}m`), 'btc_wif_checksum', /mistyped/);
  });

  it('refuses a WIF with one mistyped character anywhere', () => {
    const typo = `${WIF_1.slice(0, 20)}${WIF_1[20] === 'a' ? 'b' : 'a'}${WIF_1.slice(21)}`;
    expectFailure(publicKeyFromWif(typo), 'btc_wif_checksum');
  });

  it.each([
    ['an empty string', ''],
    ['plain text', 'not a key'],
    ['a hex public key (0 is not base58)', PUBLIC_KEY_1],
    ['a very long string', 'K'.repeat(10_000)],
    ['a bitcoin address', '1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH'],
    ['a WIF cut short', WIF_1.slice(0, 40)],
  ])('refuses %s as not a WIF', (_name, text) => {
    expectFailure(publicKeyFromWif(text), 'btc_wif_invalid', /not a WIF private key/);
  });

  it('refuses what is not a string', () => {
    expectFailure(publicKeyFromWif(42 as unknown as string), 'btc_wif_invalid', /must be a string/);
    expectFailure(decodeWif(null), 'btc_wif_invalid', /not null/);
  });

  it('refuses a well-formed payload with an unknown version byte', () => {
    const p2shVersion = base58Check(wifPayload(0x05, KEY_ONE, 0x01));
    expectFailure(publicKeyFromWif(p2shVersion), 'btc_wif_invalid', /version byte 0x05/);
  });

  it('refuses a bad compression flag', () => {
    expectFailure(
      publicKeyFromWif(base58Check(wifPayload(0x80, KEY_ONE, 0x02))),
      'btc_wif_invalid',
      /compression flag/,
    );
  });

  it('refuses private keys out of range (zero, the curve order)', () => {
    const order = Buffer.from(
      'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141',
      'hex',
    );
    for (const key of [new Uint8Array(32), Uint8Array.from(order)]) {
      expectFailure(
        publicKeyFromWif(base58Check(wifPayload(0x80, key, 0x01))),
        'btc_wif_invalid',
        /out of range/,
      );
    }
  });

  it('never quotes the key in a message', () => {
    const result = publicKeyFromWif(`${WIF_1.slice(0, -1)}m`);
    expect(!result.ok && result.message).not.toContain(WIF_1.slice(0, 10));
  });

  it('throws for a network option that does not exist', () => {
    expect(() => publicKeyFromWif(WIF_1, { network: 'regtest' as BitcoinNetwork })).toThrow(
      PaydocError,
    );
  });

  it('agrees with ecpair for any private key', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((key) => ecc.isPrivate(key)),
        fc.boolean(),
        fc.constantFrom('mainnet', 'testnet'),
        (key, compressed, network: BitcoinNetwork) => {
          const pair = ECPair.fromPrivateKey(key, {
            compressed,
            network: network === 'mainnet' ? networks.bitcoin : networks.testnet,
          });
          const decoded = decodeWif(pair.toWIF(), { network });
          const wifPublicKey = Buffer.from(pair.publicKey).toString('hex');
          const compressedKey = Buffer.from(ecc.pointCompress(pair.publicKey, true)).toString(
            'hex',
          );
          expect(decoded).toEqual({
            ok: true,
            value: { network, compressed, publicKey: compressedKey, wifPublicKey },
          });
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('decodeWif', () => {
  it('gives the compressed key, and the key in the form the WIF asks for', () => {
    expect(decodeWif(UNCOMPRESSED_WIF_1)).toEqual({
      ok: true,
      value: {
        network: 'mainnet',
        compressed: false,
        publicKey: PUBLIC_KEY_1,
        wifPublicKey: UNCOMPRESSED_PUBLIC_KEY_1,
      },
    });
    expect(decodeWif(TESTNET_WIF_1, { network: 'any' })).toEqual({
      ok: true,
      value: {
        network: 'testnet',
        compressed: true,
        publicKey: PUBLIC_KEY_1,
        wifPublicKey: PUBLIC_KEY_1,
      },
    });
  });
});

describe('wifMatchesPublicKey', () => {
  it('is true for the key the WIF derives, in either encoding and letter case', () => {
    expect(wifMatchesPublicKey(WIF_1, PUBLIC_KEY_1)).toBe(true);
    expect(wifMatchesPublicKey(WIF_1, PUBLIC_KEY_1.toUpperCase())).toBe(true);
    expect(wifMatchesPublicKey(WIF_1, UNCOMPRESSED_PUBLIC_KEY_1)).toBe(true);
    expect(wifMatchesPublicKey(UNCOMPRESSED_WIF_1, PUBLIC_KEY_1)).toBe(true);
  });

  it('is false for another key, a bad key, a bad WIF, or a WIF of the wrong network', () => {
    const other = ECPair.fromPrivateKey(Uint8Array.from({ length: 32 }, () => 7));
    expect(wifMatchesPublicKey(other.toWIF(), PUBLIC_KEY_1)).toBe(false);
    expect(wifMatchesPublicKey(WIF_1, 'zz')).toBe(false);
    expect(wifMatchesPublicKey(WIF_1, '')).toBe(false);
    expect(wifMatchesPublicKey(`${WIF_1.slice(0, -1)}m`, PUBLIC_KEY_1)).toBe(false);
    expect(wifMatchesPublicKey(TESTNET_WIF_1, PUBLIC_KEY_1)).toBe(false);
    expect(wifMatchesPublicKey(TESTNET_WIF_1, PUBLIC_KEY_1, { network: 'any' })).toBe(true);
  });
});

describe('parsePublicKey', () => {
  it('accepts compressed and uncompressed points', () => {
    expect(parsePublicKey(PUBLIC_KEY_1)).toMatchObject({
      ok: true,
      value: { compressed: true, compressedHex: PUBLIC_KEY_1 },
    });
    expect(parsePublicKey(UNCOMPRESSED_PUBLIC_KEY_1)).toMatchObject({
      ok: true,
      value: { compressed: false, compressedHex: PUBLIC_KEY_1 },
    });
  });

  it.each([
    ['not hex', `zz${PUBLIC_KEY_1.slice(2)}`, /not hex/],
    ['an odd length', PUBLIC_KEY_1.slice(0, -1), /not hex/],
    ['32 bytes', PUBLIC_KEY_1.slice(2), /not 32 bytes/],
    ['a bad prefix', `05${PUBLIC_KEY_1.slice(2)}`, /starting 02\/03/],
    ['an x with no point', `02${'00'.repeat(31)}05`, /not a point on secp256k1/],
    ['an x beyond the field', `02${'ff'.repeat(32)}`, /not a point/],
    ['too long', 'ab'.repeat(100), /not hex of 33 or 65 bytes/],
  ])('refuses %s', (_name, hex, message) => {
    expectFailure(parsePublicKey(hex), 'btc_public_key_invalid', message);
  });

  it('refuses what is not a string', () => {
    expectFailure(parsePublicKey(undefined), 'btc_public_key_invalid', /not a undefined/);
  });
});
