import { networks, payments } from 'bitcoinjs-lib';
import { PaydocError } from '../../errors/paydoc-error.js';
import type { BitcoinKeyResult, BitcoinNetwork, ParsedPublicKey } from './keys.js';
import { keyFailure, parsePublicKey } from './keys.js';

/** Options of {@link multisig2of2Address}. */
export interface MultisigOptions {
  /** The network whose address format to use (default `'mainnet'`: `bc1…`; testnet `tb1…`). */
  network?: BitcoinNetwork;
}

/** A 2-of-2 multisig wallet: where to pay, and the script that spends from it. */
export interface Multisig2of2 {
  /** The P2WSH (native segwit, bech32) address. */
  readonly address: string;
  /**
   * The witness script, lowercase hex: `OP_2 <A> <B> OP_2 OP_CHECKMULTISIG`. Whoever spends
   * needs it, and the address is its SHA-256, so keep it with the address.
   */
  readonly witnessScript: string;
  /** The network the address belongs to. */
  readonly network: BitcoinNetwork;
}

/**
 * The P2WSH address of a 2-of-2 multisig wallet (seed 003's escrow: merchant and customer must
 * both sign), built with bitcoinjs-lib `payments.p2ms` + `payments.p2wsh`.
 *
 * Keys go into the script **in the order given**, not sorted (BIP 67): swapping them gives
 * another script and another address. The order is part of the wallet's definition, as in
 * Bitcoin Core's `createmultisig`; both parties must use the same one. With
 * `026477115981fe981a6918a6297d9803c4dc04f328f22041bedff886bbc2962e01` then
 * `02c96db2302d19b43d4c69368babace7854cc84eb9e061cde51cfa77ca4a22b8b9` on mainnet the address
 * is `bc1q7l77evl0p8p2ynsqxz8tccp3xn8nua6rqh8c5q3qsr0knfvljetsfc7yws`.
 *
 * Refusals are values: `btc_public_key_invalid` (not hex, wrong length, not on the curve),
 * `btc_public_key_uncompressed` (a 65-byte `04…` key: segwit scripts accept only compressed
 * keys, BIP 143, and coins sent there could never be spent), `btc_multisig_duplicate_key` (the
 * same key twice, in any encoding or letter case: its one holder could spend alone, which
 * defeats a 2-of-2). Hex may be in either case; the script is lowercase.
 */
export function multisig2of2Address(
  pubKeyA: string,
  pubKeyB: string,
  options: MultisigOptions = {},
): BitcoinKeyResult<Multisig2of2> {
  const network = options.network ?? 'mainnet';
  if (network !== 'mainnet' && network !== 'testnet') {
    throw new PaydocError('internal', `unknown bitcoin network ${JSON.stringify(network)}`);
  }
  const first = compressedKey(pubKeyA, 'first');
  if (!first.ok) return first;
  const second = compressedKey(pubKeyB, 'second');
  if (!second.ok) return second;
  if (first.value.compressedHex === second.value.compressedHex) {
    return keyFailure(
      'btc_multisig_duplicate_key',
      'a 2-of-2 multisig needs two different public keys; both are the same',
    );
  }
  const bitcoinNetwork = network === 'mainnet' ? networks.bitcoin : networks.testnet;
  try {
    const redeem = payments.p2ms({
      m: 2,
      pubkeys: [first.value.bytes, second.value.bytes],
      network: bitcoinNetwork,
    });
    const wallet = payments.p2wsh({ redeem, network: bitcoinNetwork });
    if (wallet.address === undefined || redeem.output === undefined) {
      throw new Error('bitcoinjs-lib returned no address');
    }
    return {
      ok: true,
      value: {
        address: wallet.address,
        witnessScript: Buffer.from(redeem.output).toString('hex'),
        network,
      },
    };
  } catch (error) {
    // The keys were checked above; bitcoinjs-lib failing now is a bug, not bad input.
    const reason = error instanceof Error ? error.message : String(error);
    throw new PaydocError('internal', `building a 2-of-2 multisig failed: ${reason}`);
  }
}

function compressedKey(hex: string, which: string): BitcoinKeyResult<ParsedPublicKey> {
  const parsed = parsePublicKey(hex);
  if (!parsed.ok) return keyFailure(parsed.code, `${which} ${parsed.message}`);
  if (!parsed.value.compressed) {
    return keyFailure(
      'btc_public_key_uncompressed',
      `${which} public key is uncompressed (65 bytes, 04…); segwit multisig needs the 33-byte compressed form (02…/03…) of the same key: ${parsed.value.compressedHex}`,
    );
  }
  return parsed;
}
