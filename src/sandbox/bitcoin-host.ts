import { decodeWif } from '../payments/bitcoin/keys.js';
import { multisig2of2Address } from '../payments/bitcoin/multisig.js';
import { BITCOIN_REQUEST_PREFIX } from './guest-runtime.js';

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
 * This is also the host end of the guest's one bitcoin callback: a text starting with
 * {@link BITCOIN_REQUEST_PREFIX} (which no WIF can, base58 has no control characters) is a
 * request for another bitcoin helper, answered by {@link answerBitcoinRequest}. One callback
 * serves both so that the isolate needs no second binding.
 *
 * @throws Error when `wif` is not a valid WIF private key; mainnet and testnet keys are both
 *   accepted (seed 003 names no network, and a public key does not depend on it).
 */
export function publicKeyFromWif(wif: string): string {
  if (typeof wif !== 'string') throw new Error('invalid WIF private key: expected a string');
  if (wif.startsWith(BITCOIN_REQUEST_PREFIX)) {
    return answerBitcoinRequest(wif.slice(BITCOIN_REQUEST_PREFIX.length));
  }
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

/**
 * Answers a request the guest runtime sent through the bitcoin callback: JSON text
 * `["multisig2of2", pubKeyA, pubKeyB]`, answered with the JSON text of a {@link GuestMultisig}.
 *
 * @throws Error for a refused key or a request the runtime would never send.
 */
export function answerBitcoinRequest(requestJson: string): string {
  let request: unknown;
  try {
    request = JSON.parse(requestJson);
  } catch {
    throw new Error('malformed bitcoin host request');
  }
  if (Array.isArray(request) && request.length === 3 && request[0] === 'multisig2of2') {
    return JSON.stringify(multisig2of2ForGuest(request[1], request[2]));
  }
  throw new Error('unknown bitcoin host request');
}
