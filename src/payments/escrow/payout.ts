import { merchantPayableAccount, orderEscrowAccount } from './account-ids.js';
import { admitOrderCommand, isOptionalText, recordedTime } from './check-command.js';
import { checkedAdd, checkedSub } from './checked-int.js';
import { commitChange, totalOverflow } from './commit-change.js';
import { refuse } from './escrow-error.js';
import type { PayoutCommand } from './escrow-commands.js';
import type { EscrowResult } from './escrow-result.js';
import type { EscrowState } from './escrow-state.js';
import { transfer } from './ledger.js';
import type { Order, OrderPayout } from './order.js';
import type { OrderPaidOut } from './order-events.js';
import { ORDER_EVENT_TYPES } from './order-events.js';
import { orderItemId } from './transaction-ids.js';

/**
 * Pays escrow out to the order's own merchant (never anyone else: the merchant is the order's).
 * Refused with `payout_exceeds_escrow` (409) when larger than amountEscrowed.
 */
export function payout(state: EscrowState, command: PayoutCommand): EscrowResult {
  const admitted = admitOrderCommand(state, command, ({ destination }) =>
    isOptionalText(destination) ? undefined : refuse('invalid_command', 'destination must be text'),
  );
  if (!admitted.ok) return admitted;
  const { order } = admitted;
  if (command.amount > order.amountEscrowed) {
    return refuse(
      'payout_exceeds_escrow',
      `payout of ${command.amount} exceeds the ${order.amountEscrowed} escrowed in order '${order.orderId}'`,
    );
  }
  const amountPaidOut = checkedAdd(order.amountPaidOut, command.amount);
  const amountEscrowed = checkedSub(order.amountEscrowed, command.amount);
  if (amountPaidOut === undefined || amountEscrowed === undefined) return totalOverflow(order);

  const created = recordedTime(command.at);
  const fields: Omit<OrderPayout, 'amountReversed'> = {
    payoutId: orderItemId(order.orderId, 'payouts', order.payouts.length),
    amount: command.amount,
    ...(command.destination === undefined ? {} : { destination: command.destination }),
    created,
  };
  const event: OrderPaidOut = Object.freeze({ type: ORDER_EVENT_TYPES.paidOut, ...fields });
  const next: Order = Object.freeze({
    ...order,
    amountPaidOut,
    amountEscrowed,
    payouts: Object.freeze([...order.payouts, Object.freeze({ ...fields, amountReversed: 0 })]),
  });
  const transaction = transfer({
    id: fields.payoutId,
    at: created,
    currency: order.currency,
    from: orderEscrowAccount(order.orderId),
    to: merchantPayableAccount(order.merchantId),
    amount: command.amount,
  });
  return commitChange(state, next, transaction, event);
}
