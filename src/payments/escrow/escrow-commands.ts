import type {
  CreateOrderCommand,
  DebitCommand,
  EscrowResult,
  EscrowState,
  PayoutCommand,
  PayPlatformFeeCommand,
  RefundDebitCommand,
  ReversePayoutCommand,
} from './escrow-order.js';
import {
  createOrder,
  debit,
  payout,
  payPlatformFee,
  refundDebit,
  refuse,
  reversePayout,
} from './escrow-order.js';

/** Any escrow command, tagged with the name of the transition that executes it. */
export type EscrowCommand =
  | ({ readonly kind: 'createOrder' } & CreateOrderCommand)
  | ({ readonly kind: 'debit' } & DebitCommand)
  | ({ readonly kind: 'refundDebit' } & RefundDebitCommand)
  | ({ readonly kind: 'payout' } & PayoutCommand)
  | ({ readonly kind: 'reversePayout' } & ReversePayoutCommand)
  | ({ readonly kind: 'payPlatformFee' } & PayPlatformFeeCommand);

/** The kind of an {@link EscrowCommand}. */
export type EscrowCommandKind = EscrowCommand['kind'];

/** Executes any escrow command by its `kind` (escrow-order.ts); an unknown kind is refused. */
export function executeEscrowCommand(state: EscrowState, command: EscrowCommand): EscrowResult {
  switch (command.kind) {
    case 'createOrder':
      return createOrder(state, command);
    case 'debit':
      return debit(state, command);
    case 'refundDebit':
      return refundDebit(state, command);
    case 'payout':
      return payout(state, command);
    case 'reversePayout':
      return reversePayout(state, command);
    case 'payPlatformFee':
      return payPlatformFee(state, command);
    default: {
      // Commands may come from untyped input; the type says this cannot happen, run time may.
      const unknown: { readonly kind?: unknown } = command;
      return refuse('invalid_command', `unknown escrow command ${String(unknown.kind)}`);
    }
  }
}
