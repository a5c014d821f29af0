import { accountKind, orderEscrowAccount } from './account-ids.js';
import type { Ledger } from './ledger.js';
import { balanceOf } from './ledger.js';
import type { OrderAmounts } from './project-order.js';

/**
 * An order's money fields as the ledger alone tells them: every transaction that touches the
 * order's escrow account, classified by the account on its other side. Comparing this with
 * {@link projectOrder} checks the document against the books without trusting the order's
 * running totals.
 */
export function orderAmountsFromLedger(
  ledger: Ledger,
  orderId: string,
  currency: string,
): OrderAmounts {
  const escrow = orderEscrowAccount(orderId);
  const sums = { amount: 0, amountPaidOut: 0, amountRefunded: 0, amountPlatformFee: 0 };
  for (const transaction of ledger.transactions) {
    if (transaction.currency !== currency) continue;
    if (!transaction.postings.some((posting) => posting.account === escrow)) continue;
    for (const { account, amount } of transaction.postings) {
      if (account === escrow) continue;
      // Counterparty postings are signed from the counterparty's side: a debit takes from the
      // buyer (negative), a payout pays the merchant (positive), a reversal takes it back.
      switch (accountKind(account)) {
        case 'buyerFunding':
          sums.amount -= amount;
          break;
        case 'buyerRefunds':
          sums.amountRefunded += amount;
          break;
        case 'merchantPayable':
          sums.amountPaidOut += amount;
          break;
        case 'platformFees':
          sums.amountPlatformFee += amount;
          break;
        default:
          // Another order's escrow or an unknown account: not a flow an order may have. Left
          // out of every sum, so amountEscrowed no longer adds up and a comparison shows it.
          break;
      }
    }
  }
  return { ...sums, amountEscrowed: balanceOf(ledger, currency, escrow) };
}
