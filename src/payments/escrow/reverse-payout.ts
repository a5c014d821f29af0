import { merchantPayableAccount, orderEscrowAccount } from './account-ids.js';
import { admitOrderCommand, isText, recordedTime } from './check-command.js';
import { checkedAdd, checkedSub } from './checked-int.js';
import { commitChange, totalOverflow } from './commit-change.js';
import { refuse } from './escrow-error.js';
import type { ReversePayoutCommand } from './escrow-commands.js';
import type { EscrowResult } from './escrow-result.js';
import type { EscrowState } from './escrow-state.js';
import { transfer } from './ledger.js';
import type { Order, OrderPayoutReversal } from './order.js';
import type { OrderPayoutReversed } from './order-events.js';
import { ORDER_EVENT_TYPES } from './order-events.js';
import { orderItemId } from './transaction-ids.js';

/**
 * Brings (part of) a payout back from the merchant into the escrow it left: amountEscrowed
 * rises and amountPaidOut falls. At most what is left unreversed of that payout, so a reversal
 * can never pull in money the order did not pay out.
 */
export function reversePayout(state: EscrowState, command: ReversePayoutCommand): EscrowResult {
  const admitted = admitOrderCommand(state, command, ({ payoutId }) =>
    isText(payoutId) ? undefined : refuse('invalid_command', 'payoutId must be non-empty text'),
  );
  if (!admitted.ok) return admitted;
  const { order } = admitted;
  const index = order.payouts.findIndex((paid) => paid.payoutId === command.payoutId);
  const reversed = order.payouts[index];
  if (reversed === undefined) {
    return refuse(
      'payout_not_found',
      `order '${order.orderId}' has no payout '${command.payoutId}'`,
    );
  }
  const reversible = reversed.amount - reversed.amountReversed;
  if (command.amount > reversible) {
    return refuse(
      'reversal_exceeds_payout',
      `reversal of ${command.amount} exceeds the ${reversible} left unreversed of payout '${reversed.payoutId}'`,
    );
  }
  const amountPaidOut = checkedSub(order.amountPaidOut, command.amount);
  const amountEscrowed = checkedAdd(order.amountEscrowed, command.amount);
  if (amountPaidOut === undefined || amountEscrowed === undefined) return totalOverflow(order);

  const created = recordedTime(command.at);
  const fields: OrderPayoutReversal = {
    payoutId: reversed.payoutId,
    amount: command.amount,
    created,
  };
  const event: OrderPayoutReversed = Object.freeze({
    type: ORDER_EVENT_TYPES.payoutReversed,
    ...fields,
  });
  const payouts = order.payouts.map((paid, at) =>
    at === index
      ? Object.freeze({ ...paid, amountReversed: paid.amountReversed + command.amount })
      : paid,
  );
  const next: Order = Object.freeze({
    ...order,
    amountPaidOut,
    amountEscrowed,
    payouts: Object.freeze(payouts),
    payoutReversals: Object.freeze([...order.payoutReversals, Object.freeze(fields)]),
  });
  const transaction = transfer({
    id: orderItemId(order.orderId, 'reversals', order.payoutReversals.length),
    at: created,
    currency: order.currency,
    from: merchantPayableAccount(order.merchantId),
    to: orderEscrowAccount(order.orderId),
    amount: command.amount,
  });
  return commitChange(state, next, transaction, event);
}
