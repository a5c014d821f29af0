import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CardCharge, ChargeOutcome } from '../../../src/payments/card/card-charge.js';
import {
  AUTHORIZATION_TTL_MS,
  capture,
  closeDispute,
  expire,
  openCharge,
  openDispute,
  refund,
  refundable,
  retryAuthorization,
  submitEvidence,
  voidCharge,
} from '../../../src/payments/card/card-charge.js';

const T0 = 1_700_000_000_000;

function opened(token = 'tok_visa', amount = 1000): CardCharge {
  const outcome = openCharge('ch_test', amount, 'USD', token, T0);
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome.charge;
}

function ok(outcome: ChargeOutcome): CardCharge {
  if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
  return outcome.charge;
}

describe('card charges', () => {
  it('authorises test cards, declines the declining ones, asks 3-D Secure ones to authenticate', () => {
    expect(opened()).toMatchObject({
      status: 'authorized',
      amountAuthorized: 1000,
      expiresAt: T0 + AUTHORIZATION_TTL_MS,
    });
    expect(opened('tok_mastercard').status).toBe('authorized');
    expect(opened('tok_1234').status).toBe('authorized');
    for (const [token, declineCode] of [
      ['tok_chargeDeclined', 'generic_decline'],
      ['tok_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
      ['tok_expiredCard', 'expired_card'],
    ] as const) {
      const outcome = openCharge('ch_x', 500, 'USD', token, T0);
      expect(outcome).toMatchObject({
        ok: true,
        charge: { status: 'declined', amountAuthorized: 0 },
        answers: [{ type: 'Payments/Payment Declined', declineCode }],
      });
    }
    const action = openCharge('ch_x', 500, 'USD', 'tok_threeDSecureRequired', T0);
    expect(action).toMatchObject({
      ok: true,
      charge: { status: 'requires_action' },
      answers: [{ type: 'Payments/Payment Requires Action' }],
    });
    if (action.ok)
      expect(ok(retryAuthorization(action.charge, undefined, T0 + 5, true)).status).toBe(
        'authorized',
      );
  });

  it('retries a declined payment with a new token, and only a declined or pending one', () => {
    const declined = opened('tok_chargeDeclined');
    expect(ok(retryAuthorization(declined, 'tok_visa', T0 + 1, false))).toMatchObject({
      status: 'authorized',
      token: 'tok_visa',
    });
    expect(retryAuthorization(opened(), 'tok_visa', T0, false)).toMatchObject({
      ok: false,
      code: 'charge_not_retryable',
    });
  });

  it('captures once, fully or partly, within the authorisation and before it expires', () => {
    expect(ok(capture(opened(), 600, T0))).toMatchObject({
      status: 'captured',
      amountCaptured: 600,
      amountAuthorized: 0,
    });
    expect(capture(opened(), 1001, T0)).toMatchObject({ ok: false, code: 'amount_too_large' });
    expect(capture(opened(), 0, T0)).toMatchObject({ ok: false, code: 'invalid_amount' });
    expect(capture(opened(), 10.5, T0)).toMatchObject({ ok: false, code: 'invalid_amount' });
    expect(capture(ok(capture(opened(), 100, T0)), 100, T0)).toMatchObject({
      ok: false,
      code: 'capture_not_allowed',
    });
    expect(capture(opened(), undefined, T0 + AUTHORIZATION_TTL_MS)).toMatchObject({
      ok: false,
      code: 'authorization_expired',
    });
    expect(capture(ok(voidCharge(opened())), undefined, T0)).toMatchObject({
      ok: false,
      code: 'capture_not_allowed',
    });
  });

  it('expires only an authorised charge, and only at its deadline', () => {
    expect(expire(opened(), T0 + AUTHORIZATION_TTL_MS - 1)).toMatchObject({
      ok: false,
      code: 'not_yet_expired',
    });
    expect(ok(expire(opened(), T0 + AUTHORIZATION_TTL_MS))).toMatchObject({
      status: 'expired',
      amountAuthorized: 0,
    });
    expect(expire(ok(capture(opened(), undefined, T0)), T0 + AUTHORIZATION_TTL_MS)).toMatchObject({
      ok: false,
    });
  });

  it('refunds several times up to the captured amount, never before capture', () => {
    expect(refund(opened(), 10, undefined, T0)).toMatchObject({
      ok: false,
      code: 'refund_not_allowed',
    });
    let charge = ok(capture(opened(), 800, T0));
    charge = ok(refund(charge, 300, 'damaged', T0));
    expect(refund(charge, 501, undefined, T0)).toMatchObject({
      ok: false,
      code: 'amount_too_large',
    });
    charge = ok(refund(charge, undefined, undefined, T0));
    expect(charge).toMatchObject({
      amountRefunded: 800,
      refunds: [{ amount: 300, reason: 'damaged' }, { amount: 500 }],
    });
    expect(refund(charge, undefined, undefined, T0)).toMatchObject({
      ok: false,
      code: 'nothing_to_refund',
    });
  });

  it('withdraws disputed funds at once, reinstates them when won, keeps them when lost', () => {
    let charge = ok(capture(opened(), undefined, T0));
    charge = ok(openDispute(charge, 400, 'fraudulent', T0));
    expect(refundable(charge)).toBe(600);
    expect(refund(charge, 700, undefined, T0)).toMatchObject({
      ok: false,
      code: 'amount_too_large',
    });
    const disputeId = charge.disputes[0]?.disputeId as string;
    charge = ok(submitEvidence(charge, disputeId, 'tracking number 123'));
    expect(charge.disputes[0]?.status).toBe('under_review');
    expect(ok(closeDispute(charge, disputeId, true))).toMatchObject({
      amountDisputed: 0,
      disputes: [{ status: 'won' }],
    });
    const lost = ok(closeDispute(charge, disputeId, false));
    expect(lost).toMatchObject({ amountDisputed: 400, disputes: [{ status: 'lost' }] });
    expect(closeDispute(lost, disputeId, true)).toMatchObject({
      ok: false,
      code: 'dispute_closed',
    });
    expect(openDispute(opened(), 100, 'x', T0)).toMatchObject({
      ok: false,
      code: 'dispute_not_allowed',
    });
  });
});

type Operation =
  | { op: 'capture'; amount?: number }
  | { op: 'void' }
  | { op: 'refund'; amount?: number }
  | { op: 'dispute'; amount?: number }
  | { op: 'decide'; won: boolean }
  | { op: 'evidence' }
  | { op: 'expire'; after: number }
  | { op: 'retry'; token: string };

const amount = fc.oneof(
  fc.integer({ min: -50, max: 1500 }),
  fc.constant(undefined),
  fc.double({ min: 0, max: 1000, noInteger: true }),
);
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ op: fc.constant('capture' as const), amount }),
  fc.record({ op: fc.constant('void' as const) }),
  fc.record({ op: fc.constant('refund' as const), amount }),
  fc.record({ op: fc.constant('dispute' as const), amount }),
  fc.record({ op: fc.constant('decide' as const), won: fc.boolean() }),
  fc.record({ op: fc.constant('evidence' as const) }),
  fc.record({
    op: fc.constant('expire' as const),
    after: fc.integer({ min: 0, max: 2 * AUTHORIZATION_TTL_MS }),
  }),
  fc.record({
    op: fc.constant('retry' as const),
    token: fc.constantFrom('tok_visa', 'tok_chargeDeclined', 'tok_threeDSecureRequired'),
  }),
);

function apply(charge: CardCharge, operation: Operation): ChargeOutcome {
  const at = T0 + 1000;
  switch (operation.op) {
    case 'capture':
      return capture(charge, operation.amount, at);
    case 'void':
      return voidCharge(charge);
    case 'refund':
      return refund(charge, operation.amount, undefined, at);
    case 'dispute':
      return openDispute(charge, operation.amount, 'general', at);
    case 'decide': {
      const open = charge.disputes.find(
        (d) => d.status === 'needs_response' || d.status === 'under_review',
      );
      return closeDispute(charge, open?.disputeId ?? 'none', operation.won);
    }
    case 'evidence':
      return submitEvidence(charge, charge.disputes[0]?.disputeId ?? 'none', 'proof');
    case 'expire':
      return expire(charge, T0 + operation.after);
    case 'retry':
      return retryAuthorization(charge, operation.token, at, false);
  }
}

function checkInvariants(charge: CardCharge): void {
  for (const value of [
    charge.amountAuthorized,
    charge.amountCaptured,
    charge.amountRefunded,
    charge.amountDisputed,
  ]) {
    expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
  }
  expect(charge.amountAuthorized).toBeLessThanOrEqual(charge.amount);
  expect(charge.amountCaptured).toBeLessThanOrEqual(charge.amount);
  expect(charge.amountRefunded + charge.amountDisputed).toBeLessThanOrEqual(charge.amountCaptured);
  expect(charge.refunds.reduce((sum, r) => sum + r.amount, 0)).toBe(charge.amountRefunded);
  const withdrawn = charge.disputes
    .filter((d) => d.status !== 'won')
    .reduce((sum, d) => sum + d.amount, 0);
  expect(withdrawn).toBe(charge.amountDisputed);
  if (charge.status !== 'authorized' && charge.status !== 'requires_action')
    expect(charge.amountAuthorized).toBe(0);
  if (charge.amountCaptured > 0) expect(charge.status).toBe('captured');
  // Money is conserved: what left the card is what the merchant holds plus what went back.
  const merchant = charge.amountCaptured - charge.amountRefunded - charge.amountDisputed;
  const backToCustomer = charge.amountRefunded + charge.amountDisputed;
  expect(merchant + backToCustomer).toBe(charge.amountCaptured);
}

describe('card charge properties', () => {
  it('no sequence of operations breaks an invariant, and a refused one changes nothing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('tok_visa', 'tok_chargeDeclined', 'tok_threeDSecureRequired'),
        fc.array(operation, { maxLength: 30 }),
        (token, operations) => {
          let charge = opened(token);
          checkInvariants(charge);
          for (const op of operations) {
            const before = structuredClone(charge);
            const outcome = apply(charge, op);
            expect(charge).toEqual(before);
            if (outcome.ok) {
              charge = outcome.charge;
              expect(outcome.answers.length).toBeGreaterThan(0);
            } else {
              expect(outcome.code).toMatch(/^[a-z_]+$/);
            }
            checkInvariants(charge);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
