import type { ErrorCode } from '../../errors/error-code.js';
import { isCurrencyCode, unknownCurrencyMessage } from '../money/currency.js';
import { parseMoney } from '../money/money.js';
import type { JsonObject } from '../../model/json.js';
import { authorizeOnNetwork, tokenProblem } from './card-network.js';

/** How long an uncaptured authorisation holds the funds. */
export const AUTHORIZATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export type ChargeStatus =
  'requires_action' | 'authorized' | 'declined' | 'captured' | 'voided' | 'expired';

export interface ChargeRefund {
  refundId: string;
  amount: number;
  reason?: string;
  status: 'succeeded';
  created: number;
}

export interface ChargeDispute {
  disputeId: string;
  amount: number;
  reason: string;
  status: 'needs_response' | 'under_review' | 'won' | 'lost';
  created: number;
}

/**
 * The processor's own record of a card payment: the source of truth for money. The document
 * mirrors it through the answers it receives; the invariants (captured ≤ authorised, refunded
 * ≤ captured, disputed ≤ captured − refunded) hold here whatever a workflow asks.
 */
export interface CardCharge {
  chargeId: string;
  currency: string;
  amount: number;
  token: string;
  status: ChargeStatus;
  amountAuthorized: number;
  amountCaptured: number;
  amountRefunded: number;
  amountDisputed: number;
  refunds: ChargeRefund[];
  disputes: ChargeDispute[];
  authorizedAt?: number;
  expiresAt?: number;
}

/** A transition: the new charge and the answers for the document, or a refusal (nothing changes). */
export type ChargeOutcome =
  | { ok: true; charge: CardCharge; answers: JsonObject[] }
  | { ok: false; code: ErrorCode; message: string };

function refuse(code: ErrorCode, message: string): ChargeOutcome {
  return { ok: false, code, message };
}

/**
 * Why `amount` is no amount to move in `currency` (the money module's rules: an integer of
 * minor units, safe, and here above zero), or undefined when it is one.
 */
function amountProblem(amount: number, currency: string, what: string): string | undefined {
  const parsed = parseMoney(amount, currency);
  if (!parsed.ok) return `${what}: ${parsed.message}`;
  if (parsed.value.amount === 0) return `${what} must be above zero, got 0`;
  return undefined;
}

/**
 * Opens a charge for a new card payment and authorises it on the network; a `token` that is
 * no token (a raw card number above all) is refused, and nothing is opened.
 */
export function openCharge(
  chargeId: string,
  amount: number,
  currency: string,
  token: string,
  at: number,
): ChargeOutcome {
  const badToken = tokenProblem(token);
  if (badToken !== undefined) return refuse('invalid_token', badToken);
  if (!isCurrencyCode(currency))
    return refuse('invalid_currency', unknownCurrencyMessage(currency) ?? 'unknown currency');
  const problem = amountProblem(amount, currency, 'amount');
  if (problem !== undefined) return refuse('invalid_amount', problem);
  const charge: CardCharge = {
    chargeId,
    currency,
    amount,
    token,
    status: 'requires_action',
    amountAuthorized: 0,
    amountCaptured: 0,
    amountRefunded: 0,
    amountDisputed: 0,
    refunds: [],
    disputes: [],
  };
  return authorize(charge, token, at, false);
}

/**
 * Authorises again after a decline (with a new token) or after the customer authenticated. A
 * new token that is no token (a raw card number) is refused whatever the payment's state.
 */
export function retryAuthorization(
  charge: CardCharge,
  token: string | undefined,
  at: number,
  authenticated: boolean,
): ChargeOutcome {
  const badToken = token === undefined ? undefined : tokenProblem(token);
  if (badToken !== undefined) return refuse('invalid_token', badToken);
  if (charge.status !== 'declined' && charge.status !== 'requires_action') {
    return refuse(
      'charge_not_retryable',
      `the payment is ${charge.status}; only a declined payment or one awaiting authentication can be authorised again`,
    );
  }
  return authorize(charge, token ?? charge.token, at, authenticated);
}

function authorize(
  charge: CardCharge,
  token: string,
  at: number,
  authenticated: boolean,
): ChargeOutcome {
  const answer = authorizeOnNetwork(token, charge.chargeId, authenticated);
  if (answer.outcome === 'declined') {
    const { outcome: _o, ...error } = answer;
    return {
      ok: true,
      charge: { ...charge, token, status: 'declined' },
      answers: [
        { type: 'Payments/Payment Declined', paymentProcessorId: charge.chargeId, ...error },
      ],
    };
  }
  if (answer.outcome === 'requires_action') {
    return {
      ok: true,
      charge: { ...charge, token, status: 'requires_action' },
      answers: [{ type: 'Payments/Payment Requires Action', nextAction: answer.nextAction }],
    };
  }
  const expiresAt = at + AUTHORIZATION_TTL_MS;
  return {
    ok: true,
    charge: {
      ...charge,
      token,
      status: 'authorized',
      amountAuthorized: charge.amount,
      authorizedAt: at,
      expiresAt,
    },
    answers: [
      {
        type: 'Payments/Payment Authorized',
        paymentProcessorId: charge.chargeId,
        amountAuthorized: charge.amount,
        authorizedAt: at,
        expiresAt,
      },
    ],
  };
}

/** Captures all (amount absent) or part of the authorisation, once; the rest is released. */
export function capture(charge: CardCharge, amount: number | undefined, at: number): ChargeOutcome {
  if (charge.status !== 'authorized')
    return refuse('capture_not_allowed', `cannot capture a payment that is ${charge.status}`);
  if (at >= (charge.expiresAt ?? Infinity))
    return refuse('authorization_expired', 'the authorization has expired');
  const toCapture = amount ?? charge.amountAuthorized;
  const problem = amountProblem(toCapture, charge.currency, 'capture amount');
  if (problem !== undefined) return refuse('invalid_amount', problem);
  if (toCapture > charge.amountAuthorized) {
    return refuse(
      'amount_too_large',
      `cannot capture ${toCapture}: only ${charge.amountAuthorized} is authorized`,
    );
  }
  const released = charge.amountAuthorized - toCapture;
  return {
    ok: true,
    charge: { ...charge, status: 'captured', amountCaptured: toCapture, amountAuthorized: 0 },
    answers: [
      {
        type: 'Payments/Payment Captured',
        amountCaptured: toCapture,
        amountReleased: released,
        capturedAt: at,
      },
    ],
  };
}

/** Releases the authorisation before capture. */
export function voidCharge(charge: CardCharge): ChargeOutcome {
  if (charge.status !== 'authorized' && charge.status !== 'requires_action') {
    return refuse('void_not_allowed', `cannot void a payment that is ${charge.status}`);
  }
  const released = charge.amountAuthorized;
  return {
    ok: true,
    charge: { ...charge, status: 'voided', amountAuthorized: 0 },
    answers: [{ type: 'Payments/Payment Voided', amountReleased: released }],
  };
}

/** Ends an uncaptured authorisation at its deadline. */
export function expire(charge: CardCharge, at: number): ChargeOutcome {
  if (charge.status !== 'authorized')
    return refuse('expiry_not_applicable', `a payment that is ${charge.status} does not expire`);
  if (charge.expiresAt === undefined || at < charge.expiresAt)
    return refuse('not_yet_expired', 'the authorization has not expired yet');
  const released = charge.amountAuthorized;
  return {
    ok: true,
    charge: { ...charge, status: 'expired', amountAuthorized: 0 },
    answers: [{ type: 'Payments/Authorization Expired', amountReleased: released }],
  };
}

/** What can still be refunded or disputed: captured, less refunds and funds withdrawn by disputes. */
export function refundable(charge: CardCharge): number {
  return charge.amountCaptured - charge.amountRefunded - charge.amountDisputed;
}

/** Refunds part (or, amount absent, all that remains) of the captured amount. */
export function refund(
  charge: CardCharge,
  amount: number | undefined,
  reason: string | undefined,
  at: number,
): ChargeOutcome {
  if (charge.status !== 'captured')
    return refuse(
      'refund_not_allowed',
      `cannot refund a payment that is ${charge.status}; refunds need a capture`,
    );
  const available = refundable(charge);
  const toRefund = amount ?? available;
  const problem = amountProblem(toRefund, charge.currency, 'refund amount');
  if (problem !== undefined) {
    return refuse(available === 0 ? 'nothing_to_refund' : 'invalid_amount', problem);
  }
  if (toRefund > available)
    return refuse(
      'amount_too_large',
      `cannot refund ${toRefund}: only ${available} of the captured amount can be refunded`,
    );
  const entry: ChargeRefund = {
    refundId: `re_${charge.chargeId.slice(3)}_${charge.refunds.length + 1}`,
    amount: toRefund,
    ...(reason !== undefined ? { reason } : {}),
    status: 'succeeded',
    created: at,
  };
  return {
    ok: true,
    charge: {
      ...charge,
      amountRefunded: charge.amountRefunded + toRefund,
      refunds: [...charge.refunds, entry],
    },
    answers: [{ type: 'Payments/Payment Refunded', refund: { type: 'Payments/Refund', ...entry } }],
  };
}

/** The network opens a dispute: the disputed funds are withdrawn from the merchant at once. */
export function openDispute(
  charge: CardCharge,
  amount: number | undefined,
  reason: string,
  at: number,
): ChargeOutcome {
  if (charge.status !== 'captured')
    return refuse('dispute_not_allowed', `a payment that is ${charge.status} cannot be disputed`);
  const available = refundable(charge);
  const disputed = amount ?? available;
  if (!Number.isSafeInteger(disputed) || disputed <= 0 || disputed > available) {
    return refuse(
      'invalid_amount',
      `a dispute of ${disputed} is not possible: ${available} can be disputed`,
    );
  }
  const dispute: ChargeDispute = {
    disputeId: `dp_${charge.chargeId.slice(3)}_${charge.disputes.length + 1}`,
    amount: disputed,
    reason,
    status: 'needs_response',
    created: at,
  };
  return {
    ok: true,
    charge: {
      ...charge,
      amountDisputed: charge.amountDisputed + disputed,
      disputes: [...charge.disputes, dispute],
    },
    answers: [
      { type: 'Payments/Dispute Opened', dispute: { type: 'Payments/Dispute', ...dispute } },
    ],
  };
}

/** The merchant submits evidence for an open dispute. */
export function submitEvidence(
  charge: CardCharge,
  disputeId: string,
  evidence: string,
): ChargeOutcome {
  const index = charge.disputes.findIndex((dispute) => dispute.disputeId === disputeId);
  const dispute = charge.disputes[index];
  if (dispute === undefined) return refuse('unknown_dispute', `no dispute ${disputeId}`);
  if (dispute.status !== 'needs_response')
    return refuse('dispute_closed', `dispute ${disputeId} is ${dispute.status}`);
  const disputes = charge.disputes.map((d, i) =>
    i === index ? { ...d, status: 'under_review' as const } : d,
  );
  return {
    ok: true,
    charge: { ...charge, disputes },
    answers: [{ type: 'Payments/Dispute Evidence Submitted', disputeId, evidence }],
  };
}

/** The network decides a dispute: won reinstates the funds, lost keeps them withdrawn. */
export function closeDispute(charge: CardCharge, disputeId: string, won: boolean): ChargeOutcome {
  const index = charge.disputes.findIndex((dispute) => dispute.disputeId === disputeId);
  const dispute = charge.disputes[index];
  if (dispute === undefined) return refuse('unknown_dispute', `no dispute ${disputeId}`);
  if (dispute.status === 'won' || dispute.status === 'lost')
    return refuse('dispute_closed', `dispute ${disputeId} is already ${dispute.status}`);
  const disputes = charge.disputes.map((d, i) =>
    i === index ? { ...d, status: won ? ('won' as const) : ('lost' as const) } : d,
  );
  if (won) {
    return {
      ok: true,
      charge: { ...charge, disputes, amountDisputed: charge.amountDisputed - dispute.amount },
      answers: [{ type: 'Payments/Dispute Won', disputeId, amountReinstated: dispute.amount }],
    };
  }
  return {
    ok: true,
    charge: { ...charge, disputes },
    answers: [{ type: 'Payments/Dispute Lost', disputeId, amountWithdrawn: dispute.amount }],
  };
}
