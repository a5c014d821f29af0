import { buyerRefundsAccount, orderEscrowAccount } from './account-ids.js';
import { admitOrderCommand, isOptionalText, isText, recordedTime } from './check-command.js';
import { checkedAdd, checkedSub } from './checked-int.js';
import { commitChange, totalOverflow } from './commit-change.js';
import { refuse } from './escrow-error.js';
import type { RefundDebitCommand } from './escrow-commands.js';
import type { EscrowResult } from './escrow-result.js';
import type { EscrowState } from './escrow-state.js';
import { transfer } from './ledger.js';
import type { Order, OrderRefund } from './order.js';
import type { OrderDebitRefunded } from './order-events.js';
import { ORDER_EVENT_TYPES } from './order-events.js';
import { orderItemId } from './transaction-ids.js';

/**
 * Refunds (part of) a debit from the order's escrow to the buyer's funding source it came from.
 * At most what is left unrefunded of that debit and at most what the escrow still holds (the
 * rule of the Order Debit Refunded type): escrow is fungible, so once payouts and fees have
 * taken it there is nothing left to refund from, whichever debit it came in with.
 */
export function refundDebit(state: EscrowState, command: RefundDebitCommand): EscrowResult {
  const admitted = admitOrderCommand(state, command, ({ debitId, reason }) => {
    if (!isText(debitId)) return refuse('invalid_command', 'debitId must be non-empty text');
    if (!isOptionalText(reason)) return refuse('invalid_command', 'reason must be text');
    return undefined;
  });
  if (!admitted.ok) return admitted;
  const { order } = admitted;
  const index = order.debits.findIndex((debit) => debit.debitId === command.debitId);
  const refunded = order.debits[index];
  if (refunded === undefined) {
    return refuse('debit_not_found', `order '${order.orderId}' has no debit '${command.debitId}'`);
  }
  const refundable = refunded.amount - refunded.amountRefunded;
  if (command.amount > refundable) {
    return refuse(
      'refund_exceeds_debit',
      `refund of ${command.amount} exceeds the ${refundable} left unrefunded of debit '${refunded.debitId}'`,
    );
  }
  if (command.amount > order.amountEscrowed) {
    return refuse(
      'refund_exceeds_escrow',
      `refund of ${command.amount} exceeds the ${order.amountEscrowed} order '${order.orderId}' still holds in escrow (the rest was paid out)`,
    );
  }
  const amountRefunded = checkedAdd(order.amountRefunded, command.amount);
  const amountEscrowed = checkedSub(order.amountEscrowed, command.amount);
  if (amountRefunded === undefined || amountEscrowed === undefined) return totalOverflow(order);

  const created = recordedTime(command.at);
  const fields: OrderRefund = {
    refundId: orderItemId(order.orderId, 'refunds', order.refunds.length),
    debitId: refunded.debitId,
    amount: command.amount,
    ...(command.reason === undefined ? {} : { reason: command.reason }),
    created,
  };
  const event: OrderDebitRefunded = Object.freeze({
    type: ORDER_EVENT_TYPES.debitRefunded,
    ...fields,
  });
  const debits = order.debits.map((debit, at) =>
    at === index
      ? Object.freeze({ ...debit, amountRefunded: debit.amountRefunded + command.amount })
      : debit,
  );
  const next: Order = Object.freeze({
    ...order,
    amountRefunded,
    amountEscrowed,
    debits: Object.freeze(debits),
    refunds: Object.freeze([...order.refunds, Object.freeze(fields)]),
  });
  const transaction = transfer({
    id: fields.refundId,
    at: created,
    currency: order.currency,
    from: orderEscrowAccount(order.orderId),
    to: buyerRefundsAccount(refunded.source),
    amount: command.amount,
  });
  return commitChange(state, next, transaction, event);
}
