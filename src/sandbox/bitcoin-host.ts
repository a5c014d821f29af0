import { ECPairFactory, networks } from 'ecpair';
import * as ecc from 'tiny-secp256k1';

const ECPair = ECPairFactory(ecc);

// The seed (003) does not name a network. Deriving a public key does not depend on it, and
// rejecting a testnet WIF would only make test escrows fail for no reason, so both the
// mainnet (0x80) and testnet/regtest (0xef) WIF versions are accepted.
const WIF_NETWORKS = [networks.bitcoin, networks.testnet];

// A WIF is 51 or 52 base58 characters; anything much longer is not worth decoding.
const MAX_WIF_LENGTH = 64;

/**
 * The hex public key that a WIF private key derives, as bitcoinjs-lib + ecpair compute it:
 * the 33-byte compressed key for a compressed WIF (the usual kind, `K…`/`L…`/`c…`), the 65-byte
 * uncompressed key for an uncompressed one (`5…`/`9…`), exactly as `ECPair.fromWIF` would.
 *
 * Runs on the host; the sandbox's `blue:` module reaches it through a string-in/string-out
 * callback.
 *
 * @throws Error when `wif` is not a valid mainnet or testnet WIF private key.
 */
export function publicKeyFromWif(wif: string): string {
  if (typeof wif !== 'string') throw new Error('invalid WIF private key: expected a string');
  if (wif.length === 0 || wif.length > MAX_WIF_LENGTH) {
    throw new Error('invalid WIF private key: wrong length');
  }
  let keyPair;
  try {
    keyPair = ECPair.fromWIF(wif, WIF_NETWORKS);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`invalid WIF private key: ${reason}`);
  }
  return Buffer.from(keyPair.publicKey).toString('hex');
}
