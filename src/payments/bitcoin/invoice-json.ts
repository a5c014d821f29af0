import type { JsonObject } from '../../model/json.js';
import type { BitcoinInvoice } from './invoice-types.js';

/**
 * The invoice as BitPay's JSON object: what creating or getting an invoice returns and what a
 * notification POSTs (BitPay: the three are identical). Field names are BitPay's; amounts stay
 * integers (price in minor units of `currency`, btcPrice/btcPaid/btcDue in satoshis, rate in
 * minor units per BTC) because paydoc puts no decimals on the wire — an API that must speak
 * BitPay's decimal text renders them with `formatBtc`. `exceptionStatus` is BitPay's boolean
 * `false` or the exception's name. `currentTime` is the invoice's, i.e. the time of the event
 * that produced this body, so the body is deterministic.
 */
export function invoiceJson(invoice: BitcoinInvoice): JsonObject {
  return {
    id: invoice.invoiceId,
    url: invoice.url,
    ...(invoice.posData !== undefined ? { posData: invoice.posData } : {}),
    ...(invoice.orderID !== undefined ? { orderID: invoice.orderID } : {}),
    status: invoice.status,
    price: invoice.price,
    currency: invoice.currency,
    btcPrice: invoice.btcPrice,
    btcPaid: invoice.btcPaid,
    btcDue: invoice.btcDue,
    rate: invoice.rate,
    exceptionStatus: invoice.exceptionStatus === 'false' ? false : invoice.exceptionStatus,
    transactionSpeed: invoice.transactionSpeed,
    invoiceTime: invoice.invoiceTime,
    expirationTime: invoice.expirationTime,
    currentTime: invoice.currentTime,
  };
}
