import { isCurrencyCode } from '../../../src/payments/money/currency.js';
import type { EscrowCommand } from '../../../src/payments/escrow/escrow-commands.js';
import {
  buyerFundingAccount,
  buyerRefundsAccount,
  merchantPayableAccount,
  orderEscrowAccount,
  PLATFORM_FEES_ACCOUNT,
} from '../../../src/payments/escrow/escrow-ledger.js';
import type { EscrowErrorCode } from '../../../src/payments/escrow/escrow-order.js';
import type { OrderAmounts } from './escrow-projections.js';

// A deliberately naive reference model of DESIGN §6.3, written without the domain's code paths
// (plain mutable objects, bigint arithmetic): the property tests check that the domain makes
// exactly the same decisions and keeps exactly the same books.

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

interface ModelItem {
  id: string;
  remaining: bigint;
}

/** One order as the model sees it. */
export interface ModelOrder {
  merchantId: string;
  currency: string;
  amount: bigint;
  escrow: bigint;
  paidOut: bigint;
  refunded: bigint;
  fee: bigint;
  debits: (ModelItem & { source: string })[];
  payouts: ModelItem[];
  refunds: number;
  reversals: number;
  fees: number;
}

/** What the model expects a command to do. */
export type Prediction =
  { ok: true; event?: Record<string, unknown> } | { ok: false; code: EscrowErrorCode };

/** The reference model: orders and balances (keyed `currency account`). */
export class EscrowModel {
  readonly orders = new Map<string, ModelOrder>();
  readonly balances = new Map<string, bigint>();

  /** Predicts the outcome of a command and, when it succeeds, applies it to the model. */
  apply(command: EscrowCommand): Prediction {
    if (!isCurrencyCode(command.currency)) return { ok: false, code: 'invalid_currency' };
    if (!Number.isSafeInteger(command.at) || command.at < 0) {
      return { ok: false, code: 'invalid_time' };
    }
    const created = command.at === 0 ? 0 : command.at;
    if (command.kind === 'createOrder') {
      if (this.orders.has(command.orderId)) return { ok: false, code: 'order_exists' };
      this.orders.set(command.orderId, {
        merchantId: command.merchantId,
        currency: command.currency,
        amount: 0n,
        escrow: 0n,
        paidOut: 0n,
        refunded: 0n,
        fee: 0n,
        debits: [],
        payouts: [],
        refunds: 0,
        reversals: 0,
        fees: 0,
      });
      return { ok: true };
    }
    if (!Number.isSafeInteger(command.amount) || command.amount <= 0) {
      return { ok: false, code: 'invalid_amount' };
    }
    const order = this.orders.get(command.orderId);
    if (order === undefined) return { ok: false, code: 'order_not_found' };
    if (order.merchantId !== command.merchantId) return { ok: false, code: 'merchant_mismatch' };
    if (order.currency !== command.currency) return { ok: false, code: 'currency_mismatch' };
    const amount = BigInt(command.amount);
    const id = command.orderId;
    const escrowAccount = orderEscrowAccount(id);
    const payable = merchantPayableAccount(order.merchantId);

    switch (command.kind) {
      case 'debit': {
        const next = { amount: order.amount + amount, escrow: order.escrow + amount };
        const from = buyerFundingAccount(command.source);
        if (this.overflows(order.currency, [from, -amount], [escrowAccount, amount], next.amount)) {
          return { ok: false, code: 'amount_overflow' };
        }
        const debitId = `${id}/debits/${order.debits.length + 1}`;
        Object.assign(order, next);
        order.debits.push({ id: debitId, source: command.source, remaining: amount });
        this.move(order.currency, from, escrowAccount, amount);
        return {
          ok: true,
          event: {
            type: 'Payments/Order Debited',
            debitId,
            amount: command.amount,
            source: command.source,
            created,
          },
        };
      }
      case 'refundDebit': {
        const refunded = order.debits.find((item) => item.id === command.debitId);
        if (refunded === undefined) return { ok: false, code: 'debit_not_found' };
        if (amount > refunded.remaining) return { ok: false, code: 'refund_exceeds_debit' };
        if (amount > order.escrow) return { ok: false, code: 'refund_exceeds_escrow' };
        const to = buyerRefundsAccount(refunded.source);
        if (this.overflows(order.currency, [to, amount], [escrowAccount, -amount])) {
          return { ok: false, code: 'amount_overflow' };
        }
        refunded.remaining -= amount;
        order.refunded += amount;
        order.escrow -= amount;
        order.refunds += 1;
        this.move(order.currency, escrowAccount, to, amount);
        return {
          ok: true,
          event: {
            type: 'Payments/Order Debit Refunded',
            refundId: `${id}/refunds/${order.refunds}`,
            debitId: refunded.id,
            amount: command.amount,
            ...(command.reason === undefined ? {} : { reason: command.reason }),
            created,
          },
        };
      }
      case 'payout': {
        if (amount > order.escrow) return { ok: false, code: 'payout_exceeds_escrow' };
        if (this.overflows(order.currency, [payable, amount], [escrowAccount, -amount])) {
          return { ok: false, code: 'amount_overflow' };
        }
        const payoutId = `${id}/payouts/${order.payouts.length + 1}`;
        order.payouts.push({ id: payoutId, remaining: amount });
        order.paidOut += amount;
        order.escrow -= amount;
        this.move(order.currency, escrowAccount, payable, amount);
        return {
          ok: true,
          event: {
            type: 'Payments/Order Paid Out',
            payoutId,
            amount: command.amount,
            ...(command.destination === undefined ? {} : { destination: command.destination }),
            created,
          },
        };
      }
      case 'reversePayout': {
        const reversed = order.payouts.find((item) => item.id === command.payoutId);
        if (reversed === undefined) return { ok: false, code: 'payout_not_found' };
        if (amount > reversed.remaining) return { ok: false, code: 'reversal_exceeds_payout' };
        reversed.remaining -= amount;
        order.paidOut -= amount;
        order.escrow += amount;
        order.reversals += 1;
        this.move(order.currency, payable, escrowAccount, amount);
        return {
          ok: true,
          event: {
            type: 'Payments/Order Payout Reversed',
            payoutId: reversed.id,
            amount: command.amount,
            created,
          },
        };
      }
      case 'payPlatformFee': {
        if (amount > order.escrow) return { ok: false, code: 'fee_exceeds_escrow' };
        const fees = PLATFORM_FEES_ACCOUNT;
        if (this.overflows(order.currency, [fees, amount], [escrowAccount, -amount])) {
          return { ok: false, code: 'amount_overflow' };
        }
        order.fee += amount;
        order.escrow -= amount;
        order.fees += 1;
        this.move(order.currency, escrowAccount, fees, amount);
        return {
          ok: true,
          event: {
            type: 'Payments/Order Platform Fee Paid',
            payoutId: `${id}/fees/${order.fees}`,
            amount: command.amount,
            ...(command.destination === undefined ? {} : { destination: command.destination }),
            created,
          },
        };
      }
    }
  }

  /** The money fields the model expects the order's document to show. */
  amounts(orderId: string): OrderAmounts | undefined {
    const order = this.orders.get(orderId);
    if (order === undefined) return undefined;
    return {
      amount: Number(order.amount),
      amountEscrowed: Number(order.escrow),
      amountPaidOut: Number(order.paidOut),
      amountRefunded: Number(order.refunded),
      amountPlatformFee: Number(order.fee),
    };
  }

  /** The model's balance of an account. */
  balance(currency: string, account: string): bigint {
    return this.balances.get(`${currency} ${account}`) ?? 0n;
  }

  private overflows(currency: string, ...checks: ([string, bigint] | bigint)[]): boolean {
    return checks.some((check) => {
      const value = typeof check === 'bigint' ? check : this.balance(currency, check[0]) + check[1];
      return value > MAX || value < -MAX;
    });
  }

  private move(currency: string, from: string, to: string, amount: bigint): void {
    this.balances.set(`${currency} ${from}`, this.balance(currency, from) - amount);
    this.balances.set(`${currency} ${to}`, this.balance(currency, to) + amount);
  }
}
