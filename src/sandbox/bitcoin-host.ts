import { decodeWif } from '../payments/bitcoin/keys.js';
import { multisig2of2Address } from '../payments/bitcoin/multisig.js';

/** What the guest's `bitcoinjs.multisig2of2` returns: a mainnet 2-of-2 P2WSH wallet. */
export interface GuestMultisig {
  address: string;
  witnessScript: string;
}

/**
 * The hex public key that a WIF private key derives, as `ECPair.fromWIF(wif).publicKey` gives
 * it: the 33-byte compressed key for a compressed WIF (the usual kind, `K…`/`L…`/`c…`), the
 * 65-byte uncompressed key for an uncompressed one (`5…`/`9…`). Decoding is
 * src/payments/bitcoin/keys.ts (ecpair over tiny-secp256k1).
 *
 * @throws Error when `wif` is not a valid WIF private key; mainnet and testnet keys are both
 *   accepted (seed 003 names no network, and a public key does not depend on it).
 */
export function publicKeyFromWif(wif: string): string {
  if (typeof wif !== 'string') throw new Error('invalid WIF private key: expected a string');
  const decoded = decodeWif(wif, { network: 'any' });
  if (!decoded.ok) {
    throw new Error(
      `invalid WIF private key: ${decoded.message.replace(/^not a WIF private key: /, '')}`,
    );
  }
  return decoded.value.wifPublicKey;
}

/**
 * The mainnet 2-of-2 P2WSH wallet of two hex public keys, in the order given (see
 * src/payments/bitcoin/multisig.ts): what the guest's `bitcoinjs.multisig2of2` returns.
 *
 * @throws Error with a message for the script author when a key is refused.
 */
export function multisig2of2ForGuest(pubKeyA: unknown, pubKeyB: unknown): GuestMultisig {
  if (typeof pubKeyA !== 'string' || typeof pubKeyB !== 'string') {
    throw new TypeError('multisig2of2() expects two hex public keys (strings)');
  }
  const result = multisig2of2Address(pubKeyA, pubKeyB, { network: 'mainnet' });
  if (!result.ok) throw new Error(`multisig2of2(): ${result.message}`);
  return { address: result.value.address, witnessScript: result.value.witnessScript };
}

/** The host end of the guest's `bitcoinjs.multisig2of2`: the wallet as JSON text. */
export function multisigJsonForGuest(pubKeyA: string, pubKeyB: string): string {
  return JSON.stringify(multisig2of2ForGuest(pubKeyA, pubKeyB));
}
