import { createOrder } from './create-order.js';
import { debit } from './debit.js';
import { refuse } from './escrow-error.js';
import type { EscrowCommand } from './escrow-commands.js';
import type { EscrowResult } from './escrow-result.js';
import type { EscrowState } from './escrow-state.js';
import { payPlatformFee } from './pay-platform-fee.js';
import { payout } from './payout.js';
import { refundDebit } from './refund-debit.js';
import { reversePayout } from './reverse-payout.js';

/** Executes any escrow command by its `kind`; an unknown kind is refused as invalid. */
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
