import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CardCharge } from '../../../src/payments/card/card-charge.js';
import { openCharge, retryAuthorization } from '../../../src/payments/card/card-charge.js';
import {
  authorizeOnNetwork,
  issuedTokenBehaviour,
  luhnValid,
  RAW_CARD_NUMBER_MESSAGE,
  tokenProblem,
} from '../../../src/payments/card/card-network.js';

// Issue 16, item 5: tokens are real tokens. The pure side: what a token looks like, what the
// processor says to anything else (a raw card number above all), and what issued tokens
// (`<fixed token>_<16 base62>`) do on the simulated network.
const T0 = 1_700_000_000_000;
const RANDOM = 'AbCdEfGh12345678';

function opened(token: string): CardCharge {
  const outcome = openCharge('ch_test', 1000, 'USD', token, T0);
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome.charge;
}

describe('what a token looks like', () => {
  it('accepts tok_ and 1 to 64 letters, digits or _, the fixed test tokens among them', () => {
    for (const token of [
      'tok_visa',
      'tok_1234',
      'tok_a',
      'tok_chargeDeclined',
      'tok_threeDSecureRequired',
      `tok_${'x'.repeat(64)}`,
      `tok_visa_${RANDOM}`,
    ])
      expect(tokenProblem(token), token).toBeUndefined();
  });

  it('refuses a raw card number with its own message, showing at most the last 4 digits', () => {
    for (const number of [
      '4242424242424242',
      '4242 4242 4242 4242',
      '4242-4242-4242-4242',
      ' 4242424242424242 ',
      '424242424242',
      '4242424242424242424',
      '4000000000000002',
    ]) {
      const problem = tokenProblem(number) ?? '';
      expect(problem, number).toContain(RAW_CARD_NUMBER_MESSAGE);
      expect(problem).toContain('tokenise the card first (POST /test/tokens in test mode)');
      const digits = number.replace(/[^0-9]/g, '');
      expect(problem).toContain(`ending in ${digits.slice(-4)}`);
      expect(problem).not.toContain(digits.slice(0, -4));
    }
  });

  it('refuses anything else that is not a token, without repeating it', () => {
    for (const [token, why] of [
      ['visa', 'does not start with tok_'],
      ['', 'does not start with tok_'],
      ['TOK_visa', 'does not start with tok_'],
      ['tok_', 'nothing follows tok_'],
      [`tok_${'x'.repeat(65)}`, '69 characters long'],
      ['tok_visa-1', 'a character other than'],
      ['tok_vi sa', 'a character other than'],
      ['tok_card\n', 'a character other than'],
      ['12345', 'does not start with tok_'],
      ['42424242424242424242', 'does not start with tok_'],
    ] as const) {
      const problem = tokenProblem(token) ?? '';
      expect(problem, token).toContain('a card token is tok_ followed by 1 to 64');
      expect(problem).toContain(why);
      if (token.length > 5) expect(problem).not.toContain(token.trim());
    }
  });

  it('refuses a card number hidden in a token', () => {
    expect(tokenProblem('tok_4242424242424242')).toContain(RAW_CARD_NUMBER_MESSAGE);
    expect(tokenProblem('tok_card_4000000000000002_x')).toContain('ending in 0002');
    // Digits that are no card number (Luhn) are a token's business.
    expect(tokenProblem('tok_4242424242424241')).toBeUndefined();
  });

  it('tells every text that is not a token apart from a token, and never echoes it', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const problem = tokenProblem(text);
        if (problem === undefined) expect(text).toMatch(/^tok_[A-Za-z0-9_]{1,64}$/);
        else if (text.length >= 8) expect(problem).not.toContain(text);
      }),
    );
  });
});

describe('the processor refuses a token that is not one', () => {
  it('at creation: invalid_token, and no charge is opened', () => {
    const outcome = openCharge('ch_x', 1000, 'USD', '4242424242424242', T0);
    expect(outcome).toMatchObject({ ok: false, code: 'invalid_token' });
    if (!outcome.ok) {
      expect(outcome.message).toContain(RAW_CARD_NUMBER_MESSAGE);
      expect(outcome.message).not.toContain('424242424242');
    }
    expect(openCharge('ch_x', 1000, 'USD', 'card', T0)).toMatchObject({
      ok: false,
      code: 'invalid_token',
    });
    // The token is checked first: a raw number is named as such whatever else is wrong.
    expect(openCharge('ch_x', 0, 'XXX', '4242424242424242', T0)).toMatchObject({
      ok: false,
      code: 'invalid_token',
    });
  });

  it('on a retry with a new token: invalid_token, and the charge stays as it was', () => {
    const declined = opened('tok_chargeDeclined');
    const outcome = retryAuthorization(declined, '4242 4242 4242 4242', T0 + 1, false);
    expect(outcome).toMatchObject({ ok: false, code: 'invalid_token' });
    if (!outcome.ok) expect(outcome.message).toContain(RAW_CARD_NUMBER_MESSAGE);
    expect(retryAuthorization(declined, 'tok_', T0 + 1, false)).toMatchObject({
      ok: false,
      code: 'invalid_token',
    });
    // Without a new token the charge's own is tried again, as before.
    expect(retryAuthorization(declined, undefined, T0 + 1, false)).toMatchObject({
      ok: true,
      charge: { status: 'declined' },
    });
    expect(retryAuthorization(declined, `tok_visa_${RANDOM}`, T0 + 1, false)).toMatchObject({
      ok: true,
      charge: { status: 'authorized', token: `tok_visa_${RANDOM}` },
    });
  });
});

describe('issued tokens on the simulated network', () => {
  it("carry the behaviour of Stripe's test card numbers", () => {
    expect(issuedTokenBehaviour('4242424242424242', 'visa')).toBe('tok_visa');
    expect(issuedTokenBehaviour('5555555555554444', 'mastercard')).toBe('tok_mastercard');
    expect(issuedTokenBehaviour('4000000000000002', 'visa')).toBe('tok_chargeDeclined');
    expect(issuedTokenBehaviour('4000000000009995', 'visa')).toBe(
      'tok_chargeDeclinedInsufficientFunds',
    );
    expect(issuedTokenBehaviour('4000000000000069', 'visa')).toBe('tok_expiredCard');
    expect(issuedTokenBehaviour('4000000000000127', 'visa')).toBe('tok_incorrectCvc');
    expect(issuedTokenBehaviour('4000002500003155', 'visa')).toBe('tok_threeDSecureRequired');
    expect(issuedTokenBehaviour('4100000000000019', 'visa')).toBe('tok_chargeDeclinedFraudulent');
  });

  it('behave as the fixed token they carry, deterministically', () => {
    for (const [behaviour, declineCode] of [
      ['tok_chargeDeclined', 'generic_decline'],
      ['tok_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
      ['tok_expiredCard', 'expired_card'],
      ['tok_incorrectCvc', 'incorrect_cvc'],
      ['tok_chargeDeclinedFraudulent', 'fraudulent'],
    ] as const) {
      const issued = `${behaviour}_${RANDOM}`;
      expect(tokenProblem(issued)).toBeUndefined();
      expect(authorizeOnNetwork(issued, 'ch_x')).toEqual(authorizeOnNetwork(behaviour, 'ch_x'));
      expect(authorizeOnNetwork(issued, 'ch_x')).toMatchObject({
        outcome: 'declined',
        code: 'card_declined',
        declineCode,
      });
    }
    const secure = `tok_threeDSecureRequired_${RANDOM}`;
    expect(authorizeOnNetwork(secure, 'ch_x')).toMatchObject({ outcome: 'requires_action' });
    expect(authorizeOnNetwork(secure, 'ch_x', true)).toEqual({ outcome: 'authorized' });
    for (const brand of ['visa', 'mastercard', 'amex', 'unknown'])
      expect(authorizeOnNetwork(`tok_${brand}_${RANDOM}`, 'ch_x')).toEqual({
        outcome: 'authorized',
      });
  });

  it('only with a random part of exactly 16 base62: other tokens keep their old meaning', () => {
    // Not of the issued form: any token that is not a fixed declining one authorises.
    for (const token of [
      `tok_chargeDeclined_${RANDOM}x`,
      `tok_chargeDeclined_${RANDOM.slice(1)}`,
      'tok_chargeDeclined_',
      'tok_chargeDeclinedX',
    ])
      expect(authorizeOnNetwork(token, 'ch_x'), token).toEqual({ outcome: 'authorized' });
    // Nor does an object's inherited name mean anything.
    expect(authorizeOnNetwork(`constructor_${RANDOM}`, 'ch_x')).toEqual({ outcome: 'authorized' });
  });

  it('a 3-D Secure issued token authorises once the customer authenticated', () => {
    const charge = opened(`tok_threeDSecureRequired_${RANDOM}`);
    expect(charge.status).toBe('requires_action');
    expect(retryAuthorization(charge, undefined, T0 + 5, true)).toMatchObject({
      ok: true,
      charge: { status: 'authorized' },
    });
  });
});

describe('the Luhn check', () => {
  it("passes Stripe's test numbers and fails a mistyped one", () => {
    for (const number of [
      '4242424242424242',
      '5555555555554444',
      '378282246310005',
      '6011111111111117',
      '4000000000000002',
      '4000002500003155',
      '4100000000000019',
    ])
      expect(luhnValid(number), number).toBe(true);
    for (const number of ['4242424242424241', '5555555555554443', '', '4242a42424242424'])
      expect(luhnValid(number), number).toBe(false);
  });

  it('catches every single mistyped digit', () => {
    fc.assert(
      fc.property(fc.nat({ max: 15 }), fc.integer({ min: 1, max: 9 }), (at, delta) => {
        const digits = '4242424242424242'.split('');
        digits[at] = String((Number(digits[at]) + delta) % 10);
        expect(luhnValid(digits.join(''))).toBe(false);
      }),
    );
  });
});
