import type { EscrowRefusal } from './escrow-error.js';
import type { EscrowState } from './escrow-state.js';
import type { OrderEvent } from './order-events.js';

/** What a command did: the new state and the events it produced, or a refusal. */
export type EscrowResult =
  | {
      readonly ok: true;
      readonly state: EscrowState;
      readonly events: readonly OrderEvent[];
    }
  | EscrowRefusal;
