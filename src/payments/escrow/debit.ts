import { orderEscrowAccount, buyerFundingAccount } from './account-ids.js';
import { admitOrderCommand, isText, recordedTime } from './check-command.js';
import { checkedAdd } from './checked-int.js';
import { commitChange, totalOverflow } from './commit-change.js';
import { refuse } from './escrow-error.js';
import type { DebitCommand } from './escrow-commands.js';
import type { EscrowResult } from './escrow-result.js';
import type { EscrowState } from './escrow-state.js';
import { transfer } from './ledger.js';
import type { Order } from './order.js';
import type { OrderDebited } from './order-events.js';
import { ORDER_EVENT_TYPES } from './order-events.js';
import { orderItemId } from './transaction-ids.js';

/** Debits the buyer's funding source into the order's escrow: amount and amountEscrowed rise. */
export function debit(state: EscrowState, command: DebitCommand): EscrowResult {
  const admitted = admitOrderCommand(state, command, ({ source }) =>
    isText(source) ? undefined : refuse('invalid_command', 'source must be non-empty text'),
  );
  if (!admitted.ok) return admitted;
  const { order } = admitted;
  const amount = checkedAdd(order.amount, command.amount);
  const amountEscrowed = checkedAdd(order.amountEscrowed, command.amount);
  if (amount === undefined || amountEscrowed === undefined) return totalOverflow(order);

  const created = recordedTime(command.at);
  const fields = {
    debitId: orderItemId(order.orderId, 'debits', order.debits.length),
    amount: command.amount,
    source: command.source,
    created,
  };
  const event: OrderDebited = Object.freeze({ type: ORDER_EVENT_TYPES.debited, ...fields });
  const next: Order = Object.freeze({
    ...order,
    amount,
    amountEscrowed,
    debits: Object.freeze([...order.debits, Object.freeze({ ...fields, amountRefunded: 0 })]),
  });
  const transaction = transfer({
    id: fields.debitId,
    at: created,
    currency: order.currency,
    from: buyerFundingAccount(command.source),
    to: orderEscrowAccount(order.orderId),
    amount: command.amount,
  });
  return commitChange(state, next, transaction, event);
}
