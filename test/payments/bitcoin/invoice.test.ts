import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/model/json.js';
import {
  BTC_PRICE_ROUNDING,
  confirmationsSeen,
  createInvoice,
  paymentSeen,
  tick,
} from '../../../src/payments/bitcoin/invoice.js';
import { invoiceJson } from '../../../src/payments/bitcoin/invoice-json.js';
import { notifiesOn } from '../../../src/payments/bitcoin/invoice-notifications.js';
import {
  CONFIRMATION_WINDOW_MS,
  INVOICE_TTL_MS,
} from '../../../src/payments/bitcoin/invoice-policy.js';
import { fiatToSatoshis } from '../../../src/payments/money/convert.js';
import type {
  BitcoinInvoice,
  InvoiceNotification,
  InvoiceOutcome,
  NewInvoice,
} from '../../../src/payments/bitcoin/invoice-types.js';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const ADDRESS = 'bc1qinvoiceaddress0000000000000000000000';
const OTHER_ADDRESS = 'bc1qsomeoneelse000000000000000000000000';
/** 10.00 USD at 26,123.45 USD/BTC: 10^11 / 2,612,345 = 38,279.78… satoshis, rounded up. */
const PRICE_SATS = 38_280;

const REQUEST: NewInvoice = {
  invoiceId: 'inv_1',
  url: 'https://paydoc.example/invoices/inv_1',
  price: 1000,
  currency: 'USD',
  rateMinorPerBtc: 2_612_345,
  transactionSpeed: 'medium',
  fullNotifications: true,
  notificationURL: 'https://merchant.example/ipn',
  address: ADDRESS,
  at: T0,
};

interface Accepted {
  state: BitcoinInvoice;
  answers: JsonObject[];
  notifications: InvoiceNotification[];
}

function accepted(outcome: InvoiceOutcome): Accepted {
  if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
  return outcome;
}

/** Deeply frozen, so that a test fails if the machine mutates the record it is given. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

function open(overrides: Partial<NewInvoice> = {}): BitcoinInvoice {
  return deepFreeze(accepted(createInvoice({ ...REQUEST, ...overrides })).state);
}

function pay(invoice: BitcoinInvoice, txid: string, amount: number, at: number): Accepted {
  const outcome = accepted(paymentSeen(invoice, { txid, amount, address: ADDRESS }, at));
  deepFreeze(outcome.state);
  return outcome;
}

function confirm(
  invoice: BitcoinInvoice,
  txid: string,
  confirmations: number,
  at: number,
): Accepted {
  const outcome = accepted(confirmationsSeen(invoice, { txid, confirmations }, at));
  deepFreeze(outcome.state);
  return outcome;
}

/** The status changes among the answers, as `from→to`. */
function changes(answers: readonly JsonObject[]): string[] {
  return answers
    .filter((answer) => answer.type === 'Payments/Bitcoin Invoice Status Changed')
    .map((answer) => `${String(answer.previousStatus)}→${String(answer.status)}`);
}

describe('creating an invoice', () => {
  it('locks the rate, prices in satoshis rounded up, and opens a 15-minute window', () => {
    const outcome = accepted(createInvoice(REQUEST));
    expect(outcome.state).toMatchObject({
      invoiceId: 'inv_1',
      price: 1000,
      currency: 'USD',
      rate: 2_612_345,
      btcPrice: PRICE_SATS,
      btcPaid: 0,
      btcDue: PRICE_SATS,
      status: 'new',
      exceptionStatus: 'false',
      invoiceTime: T0,
      expirationTime: T0 + 15 * MINUTE,
      currentTime: T0,
      confirmations: 0,
      transactions: [],
    });
    expect(outcome.answers).toEqual([
      {
        type: 'Payments/Bitcoin Invoice Created',
        invoiceId: 'inv_1',
        status: 'new',
        exceptionStatus: 'false',
        btcPaid: 0,
        btcDue: PRICE_SATS,
        confirmations: 0,
        currentTime: T0,
        url: REQUEST.url,
        rate: 2_612_345,
        btcPrice: PRICE_SATS,
        address: ADDRESS,
        transactionSpeed: 'medium',
        fullNotifications: true,
        invoiceTime: T0,
        expirationTime: T0 + INVOICE_TTL_MS,
      },
    ]);
    // Creation notifies no one: BitPay answers the creator instead.
    expect(outcome.notifications).toEqual([]);
  });

  it('rounds up, names the rounding, and is exact when the division is', () => {
    expect(BTC_PRICE_ROUNDING).toBe('up');
    const satoshisForPrice = (price: number, rate: number) =>
      BigInt(fiatToSatoshis(price, 'USD', rate, BTC_PRICE_ROUNDING).amount);
    expect(satoshisForPrice(1000, 2_612_345)).toBe(38_280n);
    // The buyer never pays less than the price: btcPrice × rate ≥ price × 10^8 > (btcPrice − 1) × rate.
    expect(38_280n * 2_612_345n >= 1000n * 100_000_000n).toBe(true);
    expect(38_279n * 2_612_345n < 1000n * 100_000_000n).toBe(true);
    expect(satoshisForPrice(2_612_345, 2_612_345)).toBe(100_000_000n);
    expect(satoshisForPrice(1, 2_612_345)).toBe(39n); // 38.28 → 39
    expect(satoshisForPrice(1, 100_000_000)).toBe(1n);
    // Beyond 2^53 in the intermediate product, still exact in bigint.
    expect(satoshisForPrice(9_007_199_254_740_991, 100_000_000_000_000)).toBe(9_007_199_255n);
    // Beyond 2^53 satoshis: refused, not rounded.
    const huge = createInvoice({ ...REQUEST, price: 9_007_199_254_740_991, rateMinorPerBtc: 1 });
    expect(huge.ok ? 'accepted' : huge.code).toBe('invalid_price');
    expect(open({ currency: 'JPY', price: 5_000, rateMinorPerBtc: 6_500_000 }).btcPrice).toBe(
      76_924,
    );
    expect(open({ currency: 'BTC', price: 12_345, rateMinorPerBtc: 100_000_000 }).btcPrice).toBe(
      12_345,
    );
  });

  it('defaults the speed to medium and notifications to false, as BitPay does', () => {
    const { transactionSpeed: _s, fullNotifications: _f, ...bare } = REQUEST;
    expect(accepted(createInvoice(bare)).state).toMatchObject({
      transactionSpeed: 'medium',
      fullNotifications: false,
    });
  });

  it('refuses a bad price, rate, currency, speed, notification URL, address or time', () => {
    const cases: [Partial<NewInvoice>, string][] = [
      [{ price: 0 }, 'invalid_price'],
      [{ price: -100 }, 'invalid_price'],
      [{ price: 10.5 }, 'invalid_price'],
      [{ price: Number.NaN }, 'invalid_price'],
      [{ price: 2 ** 53 }, 'invalid_price'],
      [{ price: 9_007_199_254_740_991, rateMinorPerBtc: 1 }, 'invalid_price'],
      [{ rateMinorPerBtc: 0 }, 'invalid_rate'],
      [{ rateMinorPerBtc: -1 }, 'invalid_rate'],
      [{ rateMinorPerBtc: 2_612_345.5 }, 'invalid_rate'],
      [{ currency: 'BTC', rateMinorPerBtc: 2_612_345 }, 'invalid_rate'],
      [{ currency: 'usd' }, 'invalid_currency'],
      [{ currency: 'US' }, 'invalid_currency'],
      [{ transactionSpeed: 'fast' }, 'invalid_speed'],
      [{ notificationURL: 'http://merchant.example/ipn' }, 'invalid_notification_url'],
      [{ address: '' }, 'invalid_address'],
      [{ invoiceId: '' }, 'invalid_invoice_id'],
      [{ url: '' }, 'invalid_url'],
      [{ at: -1 }, 'invalid_time'],
      [{ at: 1.5 }, 'invalid_time'],
    ];
    for (const [overrides, code] of cases)
      expect(createInvoice({ ...REQUEST, ...overrides }), JSON.stringify(overrides)).toMatchObject({
        ok: false,
        code,
      });
  });
});

describe('transaction speeds', () => {
  it('high: confirmed as soon as fully paid (skipping paid), complete at 6 blocks', () => {
    const invoice = open({ transactionSpeed: 'high' });
    const paid = pay(invoice, 'tx1', PRICE_SATS, T0 + MINUTE);
    expect(changes(paid.answers)).toEqual(['new→confirmed']);
    expect(paid.state).toMatchObject({ status: 'confirmed', paidTime: T0 + MINUTE, btcDue: 0 });
    // Confirmed at once: there is no confirmation deadline to watch.
    expect(paid.state.invalidAfter).toBeUndefined();
    expect(paid.answers[0]).not.toHaveProperty('invalidAfter');
    let state = paid.state;
    for (let blocks = 1; blocks <= 5; blocks += 1) {
      const step = confirm(state, 'tx1', blocks, T0 + blocks * 10 * MINUTE);
      expect(step.answers).toEqual([
        expect.objectContaining({
          type: 'Payments/Bitcoin Invoice Updated',
          status: 'confirmed',
          confirmations: blocks,
        }),
      ]);
      state = step.state;
    }
    const complete = confirm(state, 'tx1', 6, T0 + 61 * MINUTE);
    expect(changes(complete.answers)).toEqual(['confirmed→complete']);
    expect(complete.state.status).toBe('complete');
  });

  it('medium: paid at payment, confirmed at 1 block, complete at 6', () => {
    const paid = pay(open(), 'tx1', PRICE_SATS, T0 + MINUTE);
    expect(changes(paid.answers)).toEqual(['new→paid']);
    expect(paid.answers[0]).toMatchObject({
      paidTime: T0 + MINUTE,
      invalidAfter: T0 + MINUTE + CONFIRMATION_WINDOW_MS,
      exceptionStatus: 'false',
      btcPaid: PRICE_SATS,
      btcDue: 0,
      confirmations: 0,
    });
    expect(confirm(paid.state, 'tx1', 0, T0 + 2 * MINUTE).answers).toEqual([]);
    const confirmed = confirm(paid.state, 'tx1', 1, T0 + 11 * MINUTE);
    expect(changes(confirmed.answers)).toEqual(['paid→confirmed']);
    const complete = confirm(confirmed.state, 'tx1', 6, T0 + 61 * MINUTE);
    expect(changes(complete.answers)).toEqual(['confirmed→complete']);
  });

  it('medium: a first report of 6 blocks goes from paid straight to complete', () => {
    const paid = pay(open(), 'tx1', PRICE_SATS, T0 + MINUTE);
    expect(changes(confirm(paid.state, 'tx1', 6, T0 + 50 * MINUTE).answers)).toEqual([
      'paid→complete',
    ]);
  });

  it('low: paid until 6 blocks, then complete directly (BitPay skips confirmed)', () => {
    const paid = pay(open({ transactionSpeed: 'low' }), 'tx1', PRICE_SATS, T0 + MINUTE);
    let state = paid.state;
    for (let blocks = 1; blocks <= 5; blocks += 1) {
      const step = confirm(state, 'tx1', blocks, T0 + blocks * 10 * MINUTE);
      expect(changes(step.answers)).toEqual([]);
      expect(step.state.status).toBe('paid');
      state = step.state;
    }
    const complete = confirm(state, 'tx1', 6, T0 + 60 * MINUTE);
    expect(changes(complete.answers)).toEqual(['paid→complete']);
  });

  it('confirms only when every credited transaction has the blocks', () => {
    let state = pay(open(), 'tx1', 20_000, T0 + MINUTE).state;
    state = confirm(state, 'tx1', 1, T0 + 2 * MINUTE).state;
    const paid = pay(state, 'tx2', PRICE_SATS - 20_000, T0 + 3 * MINUTE);
    expect(paid.state).toMatchObject({ status: 'paid', confirmations: 0 });
    const both = confirm(paid.state, 'tx2', 1, T0 + 13 * MINUTE);
    expect(changes(both.answers)).toEqual(['paid→confirmed']);
    expect(both.state.confirmations).toBe(1);
  });
});

describe('amounts', () => {
  it('flags a partial payment, keeps the invoice new, then takes the rest', () => {
    const partial = pay(open(), 'tx1', 10_000, T0 + MINUTE);
    expect(partial.state).toMatchObject({
      status: 'new',
      exceptionStatus: 'paidPartial',
      btcPaid: 10_000,
      btcDue: PRICE_SATS - 10_000,
    });
    // No status change: the document learns the amounts from an Updated answer, no notification.
    expect(partial.answers).toEqual([
      {
        type: 'Payments/Bitcoin Invoice Updated',
        invoiceId: 'inv_1',
        status: 'new',
        exceptionStatus: 'paidPartial',
        btcPaid: 10_000,
        btcDue: PRICE_SATS - 10_000,
        confirmations: 0,
        currentTime: T0 + MINUTE,
      },
    ]);
    expect(partial.notifications).toEqual([]);
    const rest = pay(partial.state, 'tx2', PRICE_SATS - 10_000, T0 + 2 * MINUTE);
    expect(rest.state).toMatchObject({
      status: 'paid',
      exceptionStatus: 'false',
      btcPaid: PRICE_SATS,
      btcDue: 0,
      paidTime: T0 + 2 * MINUTE,
    });
  });

  it('flags an overpayment, in one transaction or several', () => {
    const over = pay(open(), 'tx1', PRICE_SATS + 1, T0 + MINUTE);
    expect(over.state).toMatchObject({
      status: 'paid',
      exceptionStatus: 'paidOver',
      btcPaid: PRICE_SATS + 1,
      btcDue: 0,
    });
    const partial = pay(open(), 'tx1', 30_000, T0 + MINUTE).state;
    expect(pay(partial, 'tx2', 30_000, T0 + 2 * MINUTE).state).toMatchObject({
      status: 'paid',
      exceptionStatus: 'paidOver',
      btcPaid: 60_000,
      btcDue: 0,
    });
  });

  it('does not credit payments once the invoice has left new; it records them for refund', () => {
    const paid = pay(open(), 'tx1', PRICE_SATS, T0 + MINUTE).state;
    const extra = pay(paid, 'tx2', 5_000, T0 + 2 * MINUTE);
    expect(extra.answers).toEqual([]);
    expect(extra.state).toMatchObject({
      status: 'paid',
      btcPaid: PRICE_SATS,
      exceptionStatus: 'false',
    });
    expect(extra.state.transactions[1]).toMatchObject({
      txid: 'tx2',
      amount: 5_000,
      credited: false,
    });
    // Its blocks do not count towards confirmation.
    expect(confirm(extra.state, 'tx2', 6, T0 + 3 * MINUTE).state.status).toBe('paid');
  });

  it('refuses a duplicate txid, a payment to another address, a non-positive or fractional amount', () => {
    const partial = pay(open(), 'tx1', 10_000, T0 + MINUTE).state;
    expect(
      paymentSeen(partial, { txid: 'tx1', amount: 10_000, address: ADDRESS }, T0 + 2 * MINUTE),
    ).toMatchObject({
      ok: false,
      code: 'duplicate_transaction',
    });
    const expired = accepted(tick(partial, T0 + INVOICE_TTL_MS)).state;
    const late = pay(expired, 'tx2', 1, T0 + 20 * MINUTE).state;
    expect(
      paymentSeen(late, { txid: 'tx2', amount: 1, address: ADDRESS }, T0 + 21 * MINUTE),
    ).toMatchObject({
      ok: false,
      code: 'duplicate_transaction',
    });
    expect(
      paymentSeen(partial, { txid: 'tx9', amount: 10_000, address: OTHER_ADDRESS }, T0),
    ).toMatchObject({
      ok: false,
      code: 'wrong_address',
    });
    for (const amount of [0, -5, 1.5, Number.NaN])
      expect(paymentSeen(partial, { txid: 'tx9', amount, address: ADDRESS }, T0)).toMatchObject({
        ok: false,
        code: 'invalid_amount',
      });
    expect(paymentSeen(partial, { txid: '', amount: 1, address: ADDRESS }, T0)).toMatchObject({
      ok: false,
      code: 'invalid_txid',
    });
    expect(
      paymentSeen(
        partial,
        { txid: 'tx9', amount: Number.MAX_SAFE_INTEGER, address: ADDRESS },
        T0 + MINUTE,
      ),
    ).toMatchObject({ ok: false, code: 'amount_overflow' });
  });
});

describe('deadlines', () => {
  it('expires a new invoice at expirationTime, not before', () => {
    const invoice = open();
    const early = accepted(tick(invoice, T0 + INVOICE_TTL_MS - 1));
    expect(early.answers).toEqual([]);
    expect(early.state).toMatchObject({ status: 'new', currentTime: T0 + INVOICE_TTL_MS - 1 });
    const expired = accepted(tick(invoice, T0 + INVOICE_TTL_MS));
    expect(changes(expired.answers)).toEqual(['new→expired']);
    expect(expired.state).toMatchObject({
      status: 'expired',
      exceptionStatus: 'false',
      btcPaid: 0,
    });
    // Ticking again changes nothing.
    expect(accepted(tick(expired.state, T0 + INVOICE_TTL_MS + 5)).answers).toEqual([]);
  });

  it('keeps paidPartial and the amounts when a partially paid invoice expires', () => {
    const partial = pay(open(), 'tx1', 10_000, T0 + MINUTE).state;
    const expired = accepted(tick(partial, T0 + 30 * MINUTE));
    expect(expired.answers).toEqual([
      expect.objectContaining({
        type: 'Payments/Bitcoin Invoice Status Changed',
        status: 'expired',
        previousStatus: 'new',
        exceptionStatus: 'paidPartial',
        btcPaid: 10_000,
        btcDue: PRICE_SATS - 10_000,
      }),
    ]);
  });

  it('credits a payment one millisecond before expiry; one at or after expiry expires the invoice uncredited', () => {
    expect(pay(open(), 'tx1', PRICE_SATS, T0 + INVOICE_TTL_MS - 1).state.status).toBe('paid');
    const late = pay(open(), 'tx1', PRICE_SATS, T0 + INVOICE_TTL_MS);
    expect(changes(late.answers)).toEqual(['new→expired']);
    expect(late.state).toMatchObject({ status: 'expired', btcPaid: 0, btcDue: PRICE_SATS });
    expect(late.state.transactions).toEqual([
      {
        txid: 'tx1',
        amount: PRICE_SATS,
        seenAt: T0 + INVOICE_TTL_MS,
        confirmations: 0,
        credited: false,
      },
    ]);
  });

  it('invalidates a paid invoice not confirmed within 1 hour of payment', () => {
    const paidAt = T0 + 5 * MINUTE;
    const paid = pay(open(), 'tx1', PRICE_SATS, paidAt).state;
    expect(accepted(tick(paid, paidAt + CONFIRMATION_WINDOW_MS - 1)).answers).toEqual([]);
    const invalid = accepted(tick(paid, paidAt + CONFIRMATION_WINDOW_MS));
    expect(changes(invalid.answers)).toEqual(['paid→invalid']);
    // A block arriving after that leaves it invalid (BitPay settles those by hand).
    const after = confirm(invalid.state, 'tx1', 1, paidAt + 2 * CONFIRMATION_WINDOW_MS);
    expect(after.state.status).toBe('invalid');
    expect(changes(after.answers)).toEqual([]);
  });

  it('applies a deadline due before a late chain report, whether or not the timer fired', () => {
    const paidAt = T0 + 5 * MINUTE;
    const paid = pay(open(), 'tx1', PRICE_SATS, paidAt).state;
    const late = confirm(paid, 'tx1', 1, paidAt + CONFIRMATION_WINDOW_MS);
    expect(changes(late.answers)).toEqual(['paid→invalid']);
    expect(late.state).toMatchObject({ status: 'invalid', confirmations: 1 });
    // A confirmed invoice has no deadline.
    const confirmed = confirm(paid, 'tx1', 1, paidAt + MINUTE).state;
    expect(accepted(tick(confirmed, paidAt + 10 * CONFIRMATION_WINDOW_MS)).answers).toEqual([]);
  });

  it('never lets time run backwards: an earlier report is taken at the invoice time', () => {
    const expired = accepted(tick(open(), T0 + 20 * MINUTE)).state;
    const late = pay(expired, 'tx1', PRICE_SATS, T0 + MINUTE);
    expect(late.state).toMatchObject({
      status: 'expired',
      btcPaid: 0,
      currentTime: T0 + 20 * MINUTE,
    });
    expect(late.state.transactions[0]).toMatchObject({ seenAt: T0 + 20 * MINUTE, credited: false });
    expect(tick(expired, -1)).toMatchObject({ ok: false, code: 'invalid_time' });
  });
});

describe('confirmations', () => {
  it('only go up: a lower or equal report is ignored, an unknown txid or negative count refused', () => {
    const paid = pay(open({ transactionSpeed: 'low' }), 'tx1', PRICE_SATS, T0 + MINUTE).state;
    const three = confirm(paid, 'tx1', 3, T0 + 30 * MINUTE).state;
    for (const stale of [0, 2, 3]) {
      const ignored = confirm(three, 'tx1', stale, T0 + 31 * MINUTE);
      expect(ignored.answers).toEqual([]);
      expect(ignored.state.transactions[0]?.confirmations).toBe(3);
    }
    expect(confirmationsSeen(three, { txid: 'nope', confirmations: 1 }, T0)).toMatchObject({
      ok: false,
      code: 'unknown_transaction',
    });
    expect(confirmationsSeen(three, { txid: 'tx1', confirmations: -1 }, T0)).toMatchObject({
      ok: false,
      code: 'invalid_confirmations',
    });
    expect(confirmationsSeen(three, { txid: 'tx1', confirmations: 1.5 }, T0)).toMatchObject({
      ok: false,
      code: 'invalid_confirmations',
    });
  });
});

describe('notifications', () => {
  const URL = 'https://merchant.example/ipn';

  /** Every notification of a medium-speed run: paid, confirmed, complete. */
  function mediumRun(overrides: Partial<NewInvoice>): InvoiceNotification[] {
    const paid = pay(open(overrides), 'tx1', PRICE_SATS, T0 + MINUTE);
    const confirmed = confirm(paid.state, 'tx1', 1, T0 + 11 * MINUTE);
    const complete = confirm(confirmed.state, 'tx1', 6, T0 + 61 * MINUTE);
    return [...paid.notifications, ...confirmed.notifications, ...complete.notifications];
  }

  it('with fullNotifications, on every status change, carrying the BitPay invoice JSON', () => {
    const sent = mediumRun({ fullNotifications: true, posData: '{"ref":711454}', orderID: 'o-1' });
    expect(sent.map((n) => n.body.status)).toEqual(['paid', 'confirmed', 'complete']);
    expect(sent.every((n) => n.url === URL)).toBe(true);
    // BitPay's units: price and rate in major units, bitcoin amounts as 8-decimal text.
    const btc = (sats: number) =>
      `${Math.floor(sats / 1e8)}.${String(sats % 1e8).padStart(8, '0')}`;
    expect(sent[0]?.body).toEqual({
      id: 'inv_1',
      url: REQUEST.url,
      posData: '{"ref":711454}',
      orderID: 'o-1',
      status: 'paid',
      price: 10,
      currency: 'USD',
      btcPrice: btc(PRICE_SATS),
      btcPaid: btc(PRICE_SATS),
      btcDue: '0.00000000',
      rate: 26_123.45,
      exceptionStatus: false,
      transactionSpeed: 'medium',
      fullNotifications: true,
      invoiceTime: T0,
      expirationTime: T0 + INVOICE_TTL_MS,
      currentTime: T0 + MINUTE,
      address: ADDRESS,
      bitcoinUri: `bitcoin:${ADDRESS}?amount=${btc(PRICE_SATS)}`,
      confirmations: 0,
    });
    const expired = accepted(tick(open({ fullNotifications: true }), T0 + INVOICE_TTL_MS));
    expect(expired.notifications.map((n) => n.body.status)).toEqual(['expired']);
    const partial = pay(open({ fullNotifications: true }), 'tx1', 1, T0 + MINUTE);
    expect(partial.notifications).toEqual([]);
    expect(invoiceJson(partial.state).exceptionStatus).toBe('paidPartial');
  });

  it('without fullNotifications, only when the invoice is confirmed per its speed', () => {
    expect(mediumRun({ fullNotifications: false }).map((n) => n.body.status)).toEqual([
      'confirmed',
    ]);
    // High: new → confirmed at payment.
    const high = pay(
      open({ transactionSpeed: 'high', fullNotifications: false }),
      'tx1',
      PRICE_SATS,
      T0 + MINUTE,
    );
    expect(high.notifications.map((n) => n.body.status)).toEqual(['confirmed']);
    expect(confirm(high.state, 'tx1', 6, T0 + 61 * MINUTE).notifications).toEqual([]);
    // Low: paid → complete is when it was confirmed.
    const low = pay(
      open({ transactionSpeed: 'low', fullNotifications: false }),
      'tx1',
      PRICE_SATS,
      T0 + MINUTE,
    );
    expect(low.notifications).toEqual([]);
    expect(
      confirm(low.state, 'tx1', 6, T0 + 60 * MINUTE).notifications.map((n) => n.body.status),
    ).toEqual(['complete']);
    // Expired and invalid are not confirmations.
    expect(
      accepted(tick(open({ fullNotifications: false }), T0 + INVOICE_TTL_MS)).notifications,
    ).toEqual([]);
    expect(accepted(tick(low.state, T0 + 2 * CONFIRMATION_WINDOW_MS)).notifications).toEqual([]);
  });

  it('goes nowhere without a notificationURL', () => {
    const { notificationURL: _u, ...bare } = REQUEST;
    const invoice = deepFreeze(accepted(createInvoice({ ...bare, fullNotifications: true })).state);
    expect(pay(invoice, 'tx1', PRICE_SATS, T0 + MINUTE).notifications).toEqual([]);
  });

  it('follows the seed for every pair of statuses', () => {
    expect(notifiesOn(true, 'new', 'paid')).toBe(true);
    expect(notifiesOn(true, 'paid', 'paid')).toBe(false);
    expect(notifiesOn(false, 'new', 'paid')).toBe(false);
    expect(notifiesOn(false, 'new', 'confirmed')).toBe(true);
    expect(notifiesOn(false, 'paid', 'confirmed')).toBe(true);
    expect(notifiesOn(false, 'paid', 'complete')).toBe(true);
    expect(notifiesOn(false, 'confirmed', 'complete')).toBe(false);
    expect(notifiesOn(false, 'new', 'expired')).toBe(false);
    expect(notifiesOn(false, 'paid', 'invalid')).toBe(false);
  });
});
