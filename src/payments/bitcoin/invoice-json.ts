import type { JsonObject } from '../../model/json.js';
import { isCurrencyCode } from '../money/currency.js';
import { formatMinor } from '../money/money.js';
import type { BitcoinInvoice } from './invoice-types.js';

/**
 * The invoice as BitPay's (API v0.3) JSON object: what creating or getting an invoice returns
 * and what a notification POSTs (BitPay: "identical JSON representations of the invoice
 * object"). Field names and units are BitPay's: `price` and `rate` are JSON numbers in the
 * currency's major units (1050 minor USD → `10.5`, made from the exact decimal text, so the
 * number is the nearest double to it), the bitcoin amounts (`btcPrice`, `btcPaid`, `btcDue`)
 * decimal BTC text with 8 decimals, `exceptionStatus` BitPay's boolean `false` or the
 * exception's name. Added for wallets: `address`, `bitcoinUri` (BIP21, for the amount still
 * due) and `confirmations`. `currentTime` is the invoice's (the time of the event that made
 * this body), so a notification is deterministic; the API answers with the server's time.
 */
export function invoiceJson(invoice: BitcoinInvoice): JsonObject {
  const major = (amount: number) =>
    isCurrencyCode(invoice.currency) ? Number(formatMinor(amount, invoice.currency)) : amount;
  const btc = (satoshis: number) => formatMinor(satoshis, 'BTC');
  return {
    id: invoice.invoiceId,
    url: invoice.url,
    ...(invoice.posData !== undefined ? { posData: invoice.posData } : {}),
    status: invoice.status,
    price: major(invoice.price),
    currency: invoice.currency,
    btcPrice: btc(invoice.btcPrice),
    btcPaid: btc(invoice.btcPaid),
    btcDue: btc(invoice.btcDue),
    rate: major(invoice.rate),
    exceptionStatus: invoice.exceptionStatus === 'false' ? false : invoice.exceptionStatus,
    transactionSpeed: invoice.transactionSpeed,
    fullNotifications: invoice.fullNotifications,
    invoiceTime: invoice.invoiceTime,
    expirationTime: invoice.expirationTime,
    currentTime: invoice.currentTime,
    address: invoice.address,
    bitcoinUri: bip21Uri(invoice),
    confirmations: invoice.confirmations,
    ...(invoice.orderID !== undefined ? { orderID: invoice.orderID } : {}),
    ...(invoice.details ?? {}),
  };
}

/**
 * The BIP21 URI a wallet scans: the address and the amount still due in BTC (the full price
 * once nothing is due any more, so a paid invoice's code still says what it cost).
 */
export function bip21Uri(invoice: BitcoinInvoice): string {
  const amount = invoice.btcDue > 0 ? invoice.btcDue : invoice.btcPrice;
  return `bitcoin:${invoice.address}?amount=${formatMinor(amount, 'BTC')}`;
}
