import type { ErrorCode } from '../../errors/error-code.js';
/**
 * The codes an escrow command is refused with (described in the one catalogue,
 * src/errors/error-code.ts) and the HTTP status each should map to, for the service's error
 * mapping to take over.
 */
export const ESCROW_ERRORS = {
  invalid_command: { status: 400 },
  invalid_amount: { status: 400 },
  invalid_currency: { status: 400 },
  invalid_time: { status: 400 },
  order_exists: { status: 409 },
  order_not_found: { status: 404 },
  merchant_mismatch: { status: 403 },
  currency_mismatch: { status: 400 },
  debit_not_found: { status: 404 },
  payout_not_found: { status: 404 },
  refund_exceeds_debit: { status: 409 },
  refund_exceeds_escrow: { status: 409 },
  payout_exceeds_escrow: { status: 409 },
  reversal_exceeds_payout: { status: 409 },
  fee_exceeds_escrow: { status: 409 },
  amount_overflow: { status: 422 },
} as const satisfies Partial<Record<ErrorCode, { status: number }>>;

/** A stable code from {@link ESCROW_ERRORS}. */
export type EscrowErrorCode = keyof typeof ESCROW_ERRORS;

/** A refused command: nothing changed. */
export interface EscrowRefusal {
  readonly ok: false;
  readonly code: EscrowErrorCode;
  readonly message: string;
}

/** Builds a refusal. */
export function refuse(code: EscrowErrorCode, message: string): EscrowRefusal {
  return Object.freeze({ ok: false, code, message });
}
