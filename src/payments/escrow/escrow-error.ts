/**
 * The stable codes an escrow command is refused with, and the HTTP status each maps to.
 * Clients may switch on the codes; the statuses are what the service should answer.
 */
export const ESCROW_ERRORS = {
  invalid_command: {
    status: 400,
    description: 'A field is missing or malformed (ids must be non-empty text).',
  },
  invalid_amount: {
    status: 400,
    description: 'An amount that is not a positive safe integer in minor units (no floats).',
  },
  invalid_currency: {
    status: 400,
    description: 'A currency that is not an ISO 4217 code (three upper-case letters).',
  },
  invalid_time: {
    status: 400,
    description: '`at` is not a non-negative integer (milliseconds since the Unix epoch).',
  },
  order_exists: { status: 409, description: 'An order with this id already exists.' },
  order_not_found: { status: 404, description: 'No order with this id.' },
  merchant_mismatch: { status: 403, description: 'The order belongs to another merchant.' },
  currency_mismatch: { status: 400, description: "The currency is not the order's currency." },
  debit_not_found: { status: 404, description: 'The order has no debit with this id.' },
  payout_not_found: { status: 404, description: 'The order has no payout with this id.' },
  refund_exceeds_debit: {
    status: 409,
    description: 'The refund is larger than what is left unrefunded of the debit.',
  },
  refund_exceeds_escrow: {
    status: 409,
    description: 'The refund is larger than the escrow still holds (it was paid out).',
  },
  payout_exceeds_escrow: {
    status: 409,
    description: 'The payout is larger than the amount escrowed in the order.',
  },
  reversal_exceeds_payout: {
    status: 409,
    description: 'The reversal is larger than what is left unreversed of the payout.',
  },
  fee_exceeds_escrow: {
    status: 409,
    description: 'The platform fee is larger than the amount escrowed in the order.',
  },
  amount_overflow: {
    status: 422,
    description: 'A total or balance would leave the safe integer range.',
  },
} as const satisfies Record<string, { status: number; description: string }>;

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
