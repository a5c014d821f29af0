import { crypto as bitcoinCrypto } from 'bitcoinjs-lib';
import { ECPairFactory, networks } from 'ecpair';
import * as ecc from 'tiny-secp256k1';
import type { ErrorCode } from '../../errors/error-code.js';
import { PaydocError } from '../../errors/paydoc-error.js';

const ECPair = ECPairFactory(ecc);

/**
 * A bitcoin network. `testnet` stands for every test network that shares testnet's WIF
 * version byte (0xef): testnet3, testnet4, signet, regtest.
 */
export type BitcoinNetwork = 'mainnet' | 'testnet';

/** The codes bitcoin key operations report, a part of the error catalogue. */
export type BitcoinKeyErrorCode = Extract<ErrorCode, `btc_${string}`>;

/** An expected failure as a value: a key that was mistyped, is of the wrong kind or network. */
export interface BitcoinKeyFailure {
  readonly ok: false;
  readonly code: BitcoinKeyErrorCode;
  readonly message: string;
}

/** A value, or the reason there is none. */
export type BitcoinKeyResult<T> = { readonly ok: true; readonly value: T } | BitcoinKeyFailure;

/** Options of {@link decodeWif}, {@link publicKeyFromWif} and {@link wifMatchesPublicKey}. */
export interface WifOptions {
  /**
   * The network the key must belong to, or `'any'` (default `'mainnet'`: money is on mainnet,
   * and a test key given for a real escrow is a mistake worth reporting).
   */
  network?: BitcoinNetwork | 'any';
}

/** What a WIF private key says, without the private key itself (so it can be logged). */
export interface DecodedWif {
  /** The network of the WIF's version byte. */
  readonly network: BitcoinNetwork;
  /** Whether the WIF asks for the compressed public key (`K…`/`L…`/`c…`; not `5…`/`9…`). */
  readonly compressed: boolean;
  /** The 33-byte compressed public key, lowercase hex, whatever the WIF asks for. */
  readonly publicKey: string;
  /**
   * The public key in the form the WIF asks for, as `ECPair.fromWIF(wif).publicKey` gives it:
   * 33 bytes for a compressed WIF, 65 bytes (`04…`) for an uncompressed one.
   */
  readonly wifPublicKey: string;
}

/** A public key checked to be a point on secp256k1. */
export interface ParsedPublicKey {
  /** The key as given, 33 or 65 bytes. */
  readonly bytes: Uint8Array;
  /** True for the 33-byte form (`02…`/`03…`). */
  readonly compressed: boolean;
  /** The 33-byte compressed form, lowercase hex. */
  readonly compressedHex: string;
}

/**
 * Decodes a WIF private key and derives its public key with ecpair (`ECPairFactory` over
 * tiny-secp256k1). Refusals are values: `btc_wif_invalid` (not base58, wrong length, unknown
 * version byte or compression flag, a private key out of range), `btc_wif_checksum` (a
 * well-formed WIF whose checksum does not match: usually one mistyped character),
 * `btc_wif_wrong_network` (a valid key of another network than `options.network`).
 *
 * Messages never quote the key: a WIF is a secret and messages end up in logs and events.
 */
export function decodeWif(wif: unknown, options: WifOptions = {}): BitcoinKeyResult<DecodedWif> {
  const wanted = options.network ?? 'mainnet';
  if (wanted !== 'any' && !Object.hasOwn(NETWORKS, wanted)) {
    throw new PaydocError('internal', `unknown bitcoin network ${JSON.stringify(wanted)}`);
  }
  if (typeof wif !== 'string') {
    return keyFailure('btc_wif_invalid', `a WIF private key must be a string, not ${kindOf(wif)}`);
  }
  if (wif.length < MIN_WIF_CHARS || wif.length > MAX_WIF_CHARS) {
    return keyFailure(
      'btc_wif_invalid',
      `not a WIF private key: ${wif.length} characters, a WIF has 51 or 52`,
    );
  }
  const bytes = base58Decode(wif);
  if (typeof bytes === 'number') {
    return keyFailure(
      'btc_wif_invalid',
      `not a WIF private key: character ${bytes + 1} is not in the base58 alphabet`,
    );
  }
  if (bytes.length !== 37 && bytes.length !== 38) {
    return keyFailure(
      'btc_wif_invalid',
      `not a WIF private key: it decodes to ${bytes.length} bytes, not 37 or 38`,
    );
  }
  try {
    const payload = bytes.subarray(0, -4);
    const checksum = bitcoinCrypto.hash256(payload).subarray(0, 4);
    if (!equalBytes(checksum, bytes.subarray(-4))) {
      return keyFailure(
        'btc_wif_checksum',
        'the WIF private key checksum does not match: the key is mistyped or corrupted',
      );
    }
    const version = payload[0] as number;
    const network = VERSIONS.get(version);
    if (network === undefined) {
      return keyFailure(
        'btc_wif_invalid',
        `not a WIF private key: version byte 0x${version.toString(16).padStart(2, '0')} is neither mainnet (0x80) nor testnet (0xef)`,
      );
    }
    if (payload.length === 34 && payload[33] !== 0x01) {
      return keyFailure('btc_wif_invalid', 'not a WIF private key: bad compression flag');
    }
    if (!ecc.isPrivate(payload.subarray(1, 33))) {
      return keyFailure(
        'btc_wif_invalid',
        'the WIF private key is out of range (zero, or not below the secp256k1 order)',
      );
    }
    if (wanted !== 'any' && network !== wanted) {
      return keyFailure(
        'btc_wif_wrong_network',
        `a ${network} WIF private key where a ${wanted} key is required`,
      );
    }
    const keyPair = ECPair.fromWIF(wif, NETWORKS[network]);
    return {
      ok: true,
      value: {
        network,
        compressed: keyPair.compressed,
        publicKey: toHex(ecc.pointCompress(keyPair.publicKey, true)),
        wifPublicKey: toHex(keyPair.publicKey),
      },
    };
  } catch (error) {
    // Everything ecpair checks was checked above: a throw here is a bug, not bad input.
    throw new PaydocError('internal', `decoding a WIF private key failed: ${messageOf(error)}`);
  }
}

/**
 * The compressed (33-byte) public key, lowercase hex, that a WIF private key derives:
 * `KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn` →
 * `0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798`. Compressed even for an
 * uncompressed WIF, since that is the form segwit scripts need; see {@link decodeWif} for the
 * other form and for the refusals.
 */
export function publicKeyFromWif(wif: string, options: WifOptions = {}): BitcoinKeyResult<string> {
  const decoded = decodeWif(wif, options);
  return decoded.ok ? { ok: true, value: decoded.value.publicKey } : decoded;
}

/**
 * True when `wif` is a valid WIF private key (of `options.network`, default mainnet) whose
 * public key is `publicKeyHex`, given compressed or uncompressed, in either letter case: both
 * encodings name the same point, which the one private key controls. False for anything
 * invalid on either side.
 */
export function wifMatchesPublicKey(
  wif: string,
  publicKeyHex: string,
  options: WifOptions = {},
): boolean {
  const expected = parsePublicKey(publicKeyHex);
  if (!expected.ok) return false;
  const decoded = decodeWif(wif, options);
  return decoded.ok && decoded.value.publicKey === expected.value.compressedHex;
}

/**
 * Checks a hex public key: an even number of hex digits (either case), 33 bytes starting
 * `02`/`03` or 65 bytes starting `04`, and a point on secp256k1. Anything else is
 * `btc_public_key_invalid`.
 */
export function parsePublicKey(hex: unknown): BitcoinKeyResult<ParsedPublicKey> {
  if (typeof hex !== 'string') {
    return keyFailure(
      'btc_public_key_invalid',
      `a public key must be a hex string, not ${kindOf(hex)}`,
    );
  }
  const shown = hex.length > 140 ? `${hex.slice(0, 140)}…` : hex;
  if (hex.length > 130 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    return keyFailure(
      'btc_public_key_invalid',
      `public key '${shown}' is not hex of 33 or 65 bytes`,
    );
  }
  const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
  const prefix = bytes[0];
  const wellFormed =
    (bytes.length === 33 && (prefix === 0x02 || prefix === 0x03)) ||
    (bytes.length === 65 && prefix === 0x04);
  if (!wellFormed) {
    return keyFailure(
      'btc_public_key_invalid',
      `public key '${shown}' must be 33 bytes starting 02/03 or 65 bytes starting 04, not ${bytes.length} bytes`,
    );
  }
  if (!ecc.isPoint(bytes)) {
    return keyFailure(
      'btc_public_key_invalid',
      `public key '${shown}' is not a point on secp256k1`,
    );
  }
  return {
    ok: true,
    value: {
      bytes,
      compressed: bytes.length === 33,
      compressedHex: toHex(ecc.pointCompress(bytes, true)),
    },
  };
}

/** A {@link BitcoinKeyFailure} with `code` and `message`. */
export function keyFailure(code: BitcoinKeyErrorCode, message: string): BitcoinKeyFailure {
  return { ok: false, code, message };
}

const NETWORKS = { mainnet: networks.bitcoin, testnet: networks.testnet } as const;
const VERSIONS = new Map<number, BitcoinNetwork>([
  [networks.bitcoin.wif, 'mainnet'],
  [networks.testnet.wif, 'testnet'],
]);
// Base58 of 37 bytes (uncompressed) is 51 characters, of 38 bytes (compressed) 52; a little
// slack lets a slightly wrong length reach the checks that explain it better.
const MIN_WIF_CHARS = 1;
const MAX_WIF_CHARS = 64;
const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** The bytes `text` encodes in base58 (Bitcoin alphabet), or the index of the first bad character. */
function base58Decode(text: string): Uint8Array | number {
  let value = 0n;
  let zeros = 0;
  let leading = true;
  for (let index = 0; index < text.length; index += 1) {
    const digit = BASE58_ALPHABET.indexOf(text.charAt(index));
    if (digit < 0) return index;
    if (leading && digit === 0) zeros += 1;
    else leading = false;
    value = value * 58n + BigInt(digit);
  }
  let hex = value === 0n ? '' : value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const bytes = new Uint8Array(zeros + hex.length / 2);
  bytes.set(Buffer.from(hex, 'hex'), zeros);
  return bytes;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
