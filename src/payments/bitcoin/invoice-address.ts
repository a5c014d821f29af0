import { createHash } from 'node:crypto';
import * as bitcoin from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from 'tiny-secp256k1';

const ECPair = ECPairFactory(ecc);

/**
 * The simulated wallet's receiving address for an invoice: a mainnet P2WPKH address whose key
 * is derived from the invoice id (sha256), so the same invoice always gets the same address.
 * A real deployment would derive from an xpub instead; the chain itself is simulated.
 */
export function invoiceAddress(invoiceId: string): string {
  const privateKey = createHash('sha256')
    .update(`paydoc simulated wallet\u0000${invoiceId}`)
    .digest();
  const { publicKey } = ECPair.fromPrivateKey(privateKey);
  const { address } = bitcoin.payments.p2wpkh({
    pubkey: Buffer.from(publicKey),
    network: bitcoin.networks.bitcoin,
  });
  if (address === undefined) throw new Error('p2wpkh gave no address');
  return address;
}

/**
 * The simulated exchange: integer minor units of each currency per 1 BTC, quoted when an
 * invoice is created and locked into it (BitPay's rate). Fixed so that runs are reproducible.
 */
export const SIMULATED_RATES: Readonly<Record<string, number>> = {
  USD: 6_250_000,
  EUR: 5_800_000,
  GBP: 4_950_000,
  CHF: 5_500_000,
  PLN: 25_000_000,
  JPY: 9_400_000,
  KWD: 19_200_000,
  BHD: 23_562_500,
  BTC: 100_000_000,
};
