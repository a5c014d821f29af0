import { orderEscrowAccount, PLATFORM_FEES_ACCOUNT } from './account-ids.js';
import { admitOrderCommand, isOptionalText, recordedTime } from './check-command.js';
import { checkedAdd, checkedSub } from './checked-int.js';
import { commitChange, totalOverflow } from './commit-change.js';
import { refuse } from './escrow-error.js';
import type { PayPlatformFeeCommand } from './escrow-commands.js';
import type { EscrowResult } from './escrow-result.js';
import type { EscrowState } from './escrow-state.js';
import { transfer } from './ledger.js';
import type { Order, OrderPlatformFee } from './order.js';
import type { OrderPlatformFeePaid } from './order-events.js';
import { ORDER_EVENT_TYPES } from './order-events.js';
import { orderItemId } from './transaction-ids.js';

/**
 * Pays the marketplace's fee out of the order's escrow to the platform fee account. It is paid
 * separately from the merchant's payouts (amountPlatformFee, not amountPaidOut, and never
 * reversible as a payout) but counts against the escrow like one.
 */
export function payPlatformFee(state: EscrowState, command: PayPlatformFeeCommand): EscrowResult {
  const admitted = admitOrderCommand(state, command, ({ destination }) =>
    isOptionalText(destination) ? undefined : refuse('invalid_command', 'destination must be text'),
  );
  if (!admitted.ok) return admitted;
  const { order } = admitted;
  if (command.amount > order.amountEscrowed) {
    return refuse(
      'fee_exceeds_escrow',
      `platform fee of ${command.amount} exceeds the ${order.amountEscrowed} escrowed in order '${order.orderId}'`,
    );
  }
  const amountPlatformFee = checkedAdd(order.amountPlatformFee, command.amount);
  const amountEscrowed = checkedSub(order.amountEscrowed, command.amount);
  if (amountPlatformFee === undefined || amountEscrowed === undefined) return totalOverflow(order);

  const created = recordedTime(command.at);
  const fields: OrderPlatformFee = {
    payoutId: orderItemId(order.orderId, 'fees', order.platformFees.length),
    amount: command.amount,
    ...(command.destination === undefined ? {} : { destination: command.destination }),
    created,
  };
  const event: OrderPlatformFeePaid = Object.freeze({
    type: ORDER_EVENT_TYPES.platformFeePaid,
    ...fields,
  });
  const next: Order = Object.freeze({
    ...order,
    amountPlatformFee,
    amountEscrowed,
    platformFees: Object.freeze([...order.platformFees, Object.freeze(fields)]),
  });
  const transaction = transfer({
    id: fields.payoutId,
    at: created,
    currency: order.currency,
    from: orderEscrowAccount(order.orderId),
    to: PLATFORM_FEES_ACCOUNT,
    amount: command.amount,
  });
  return commitChange(state, next, transaction, event);
}
