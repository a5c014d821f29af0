import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/engine/accounts.js';
import type { TestApp } from './support/test-app.js';
import { bearer, JSON_BODY, testApp, YAML } from './support/test-app.js';

// Issue 16, item 5 over app.inject(): tokens are real tokens. A raw card number is refused
// where a token belongs (at creation, nothing stored; on a retry); POST /test/tokens turns a
// card into a tok_… that the simulated network knows what to do with.
type Json = Record<string, unknown>;

// 2027-01-15T08:00:00Z
const NOW = 1_800_000_000_000;
const YEAR = new Date(NOW).getUTCFullYear();
let t: TestApp;
let key: string;

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await t.app.inject({
    method: 'POST',
    url,
    headers: { ...bearer(key), ...JSON_BODY, ...headers },
    payload: JSON.stringify(body),
  });
  return { status: response.statusCode, body: response.json() as Json, text: response.body };
}

async function tokenise(card: Json) {
  return post('/test/tokens', { card: { exp_month: 12, exp_year: YEAR + 2, ...card } });
}

async function tokenFor(number: string): Promise<string> {
  const issued = await tokenise({ number, cvc: '123' });
  expect(issued.status, issued.text).toBe(200);
  return String(issued.body.id);
}

async function payWith(token: string) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/blue',
    headers: { ...bearer(key), ...YAML },
    payload: `type: Classic Card Payment\namount: 1000\ncurrency: USD\ncaptured: false\ntoken: ${token}\n`,
  });
  return { status: response.statusCode, body: response.json() as Json, text: response.body };
}

function errorOf(answer: { body: Json }): Json {
  return answer.body.error as Json;
}

async function documentCount(): Promise<number> {
  const account = await t.engine.store.accountByKeyHash(hashApiKey(key));
  return (await t.engine.store.documentsOf(account?.id ?? '', { limit: 1000 })).length;
}

beforeEach(async () => {
  t = await testApp({ clock: () => NOW });
  key = (await t.account('merchant@example.com')).apiKey;
});

afterEach(async () => {
  await t.close();
});

describe('a raw card number where a token belongs', () => {
  it('is refused at creation with a 400 that speaks of tokens, and nothing is stored', async () => {
    // Unquoted, YAML reads the number as an integer: the type (a Card Token is text) refuses it.
    const unquoted = await payWith('4242424242424242');
    expect(unquoted.status, unquoted.text).toBe(400);
    expect(errorOf(unquoted)).toMatchObject({ type: 'invalid_request_error', param: '/token' });
    expect(String(errorOf(unquoted).message)).toMatch(/raw card number is never accepted/);
    expect(String(errorOf(unquoted).message)).toContain('ending in 4242');
    expect(unquoted.text).not.toContain('4242424242424242');
    // As text, the processor refuses it: no token, a card number.
    for (const written of ["'4242424242424242'", '4242 4242 4242 4242', '"4242-4242-4242-4242"']) {
      const refused = await payWith(written);
      expect(refused.status, refused.text).toBe(400);
      const error = errorOf(refused);
      expect(error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_token' });
      expect(String(error.message)).toContain(
        'a raw card number is never accepted as a token: tokenise the card first (POST /test/tokens in test mode)',
      );
      expect(String(error.message)).toContain('ending in 4242');
      expect(refused.text).not.toMatch(/4242[ -]?4242[ -]?4242/);
    }
    const notAToken = await payWith('visa');
    expect(notAToken.status).toBe(400);
    expect(errorOf(notAToken)).toMatchObject({ code: 'invalid_token' });
    expect(String(errorOf(notAToken).message)).toContain('a card token is tok_');
    expect(await documentCount()).toBe(0);
  });

  it('is refused on a retry (400 invalid_token), and the declined payment can still be retried', async () => {
    const declined = await payWith(await tokenFor('4000000000000002'));
    expect(declined.status, declined.text).toBe(402);
    const charge = String((errorOf(declined).document as Json).paymentProcessorId);
    const raw = await post(`/api/charge/${charge}/authorize`, { token: '4242424242424242' });
    expect(raw.status, raw.text).toBe(400);
    expect(errorOf(raw)).toMatchObject({ type: 'invalid_request_error', code: 'invalid_token' });
    expect(String(errorOf(raw).message)).toContain('a raw card number is never accepted');
    expect(raw.text).not.toContain('424242424242');
    const stored = await t.app.inject({
      method: 'GET',
      url: `/blue/${String(errorOf(declined).documentId)}`,
      headers: bearer(key),
    });
    expect(stored.json()).toMatchObject({ status: 'declined' });
    const retried = await post(`/api/charge/${charge}/authorize`, {
      token: await tokenFor('4242424242424242'),
    });
    expect(retried.status, retried.text).toBe(200);
    expect((retried.body.document as Json).status).toBe('authorized');
  });
});

describe('POST /test/tokens', () => {
  it('tokenises a card: tok_… with its brand, last 4 digits and expiry, never the number', async () => {
    const issued = await tokenise({ number: '4242 4242 4242 4242', cvc: '123' });
    expect(issued.status, issued.text).toBe(200);
    expect(issued.body).toEqual({
      id: expect.stringMatching(/^tok_visa_[A-Za-z0-9]{16}$/) as unknown,
      card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: YEAR + 2 },
    });
    expect(issued.text).not.toContain('424242424242');
    const again = await tokenise({ number: '4242424242424242' });
    expect(again.body.id).not.toBe(issued.body.id);
    for (const [number, brand] of [
      ['5555555555554444', 'mastercard'],
      ['2223003122003222', 'mastercard'],
      ['378282246310005', 'amex'],
      ['6011111111111117', 'discover'],
      ['3056930009020004', 'diners'],
      ['3566002020360505', 'jcb'],
      ['6200000000000005', 'unionpay'],
      ['9999999999999995', 'unknown'],
    ] as const) {
      const card = await tokenise({ number });
      expect(card.status, number).toBe(200);
      expect(card.body.card).toMatchObject({ brand, last4: number.slice(-4) });
      expect(String(card.body.id)).toMatch(new RegExp(`^tok_${brand}_[A-Za-z0-9]{16}$`));
    }
    // Two-digit years are 20xx; numbers and texts of digits are both taken.
    const short = await tokenise({ number: '4242424242424242', exp_month: '3', exp_year: '31' });
    expect(short.body.card).toMatchObject({ exp_month: 3, exp_year: 2031 });
  });

  it('issues tokens that authorise, decline or need 3-D Secure as the test card does', async () => {
    const visa = await payWith(await tokenFor('4242424242424242'));
    expect(visa.status, visa.text).toBe(201);
    expect(visa.body).toMatchObject({ status: 'authorized', amountAuthorized: 1000 });
    expect(String(visa.body.token)).toMatch(/^tok_visa_/);
    const mastercard = await payWith(await tokenFor('5555555555554444'));
    expect(mastercard.status).toBe(201);
    expect(mastercard.body.status).toBe('authorized');

    for (const [number, declineCode] of [
      ['4000000000000002', 'generic_decline'],
      ['4000000000009995', 'insufficient_funds'],
      ['4000000000000069', 'expired_card'],
      ['4000000000000127', 'incorrect_cvc'],
      ['4100000000000019', 'fraudulent'],
    ] as const) {
      const declined = await payWith(await tokenFor(number));
      expect(declined.status, number).toBe(402);
      expect(errorOf(declined)).toMatchObject({
        type: 'payment_error',
        code: 'card_declined',
        declineCode,
      });
      expect((errorOf(declined).document as Json).status).toBe('declined');
    }
    const secure = await payWith(await tokenFor('4000002500003155'));
    expect(secure.status, secure.text).toBe(201);
    expect(secure.body).toMatchObject({ status: 'requires_action' });
    expect(String(secure.body.nextAction)).toMatch(/3ds/);
  });

  it('answers the same token to an Idempotency-Key replay', async () => {
    const card = { card: { number: '4242424242424242', exp_month: 1, exp_year: YEAR + 1 } };
    const first = await post('/test/tokens', card, { 'idempotency-key': 'tok-1' });
    const replay = await post('/test/tokens', card, { 'idempotency-key': 'tok-1' });
    expect(first.status).toBe(200);
    expect(replay.body).toEqual(first.body);
  });

  it('refuses a card number that is no card number with a 400, never repeating it', async () => {
    for (const number of [
      '4242424242424241', // fails the Luhn check
      '4242abcd42424242',
      '42424242424', // too short
      '42424242424242424242', // too long
      '4242_4242_4242_4242',
      '',
      4242424242424241,
      null,
      ['4242424242424242'],
    ]) {
      const refused = await tokenise({ number });
      expect(refused.status, String(number)).toBe(400);
      expect(errorOf(refused)).toMatchObject({
        type: 'invalid_request_error',
        code: 'invalid_card_number',
        param: 'card.number',
      });
      expect(refused.text).not.toMatch(/42424242|4242abcd/);
    }
    const luhn = await tokenise({ number: '4242424242424241' });
    expect(String(errorOf(luhn).message)).toContain('fails the Luhn check');
    expect(String(errorOf(luhn).message)).toContain('ending in 4241');
    const missing = await tokenise({});
    expect(errorOf(missing)).toMatchObject({ code: 'invalid_card_number' });
  });

  it('refuses a card whose expiry has passed on the server clock, or a bad expiry or cvc', async () => {
    const number = '4242424242424242';
    for (const expiry of [
      { exp_month: 12, exp_year: YEAR - 1 },
      { exp_month: 12, exp_year: YEAR - 1 - 2000 },
    ]) {
      const expired = await tokenise({ number, ...expiry });
      expect(expired.status, JSON.stringify(expiry)).toBe(400);
      expect(errorOf(expired)).toMatchObject({
        type: 'invalid_request_error',
        code: 'expired_card',
      });
      expect(String(errorOf(expired).message)).toContain(`expired at the end of ${YEAR - 1}-12`);
    }
    // January of this year: the card is good to its last day (NOW is 15 January).
    expect((await tokenise({ number, exp_month: 1, exp_year: YEAR })).status).toBe(200);
    for (const [card, code] of [
      [{ exp_month: 0 }, 'invalid_expiry_month'],
      [{ exp_month: 13 }, 'invalid_expiry_month'],
      [{ exp_month: 1.5 }, 'invalid_expiry_month'],
      [{ exp_month: 'May' }, 'invalid_expiry_month'],
      [{ exp_month: undefined }, 'invalid_expiry_month'],
      [{ exp_year: 'next' }, 'invalid_expiry_year'],
      [{ exp_year: YEAR + 51 }, 'invalid_expiry_year'],
      [{ exp_year: 20301 }, 'invalid_expiry_year'],
      [{ cvc: '12' }, 'invalid_cvc'],
      [{ cvc: 'abc' }, 'invalid_cvc'],
      [{ cvc: '12345' }, 'invalid_cvc'],
    ] as const) {
      const refused = await tokenise({ number, ...card });
      expect(refused.status, JSON.stringify(card)).toBe(400);
      expect(errorOf(refused), JSON.stringify(card)).toMatchObject({
        type: 'invalid_request_error',
        code,
      });
    }
    for (const body of [{}, { card: '4242424242424242' }, { card: [] }]) {
      const refused = await post('/test/tokens', body);
      expect(refused.status).toBe(400);
      expect(errorOf(refused)).toMatchObject({ code: 'invalid_request', param: 'card' });
      expect(refused.text).not.toContain('424242424242');
    }
  });

  it('needs an API key', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/test/tokens',
      headers: JSON_BODY,
      payload: JSON.stringify({
        card: { number: '4242424242424242', exp_month: 1, exp_year: YEAR },
      }),
    });
    expect(response.statusCode).toBe(401);
  });
});

describe('the fixed test tokens', () => {
  it('work as before', async () => {
    expect((await payWith('tok_visa')).body).toMatchObject({ status: 'authorized' });
    expect((await payWith('tok_1234')).status).toBe(201);
    const declined = await payWith('tok_chargeDeclined');
    expect(declined.status).toBe(402);
    expect(errorOf(declined)).toMatchObject({ declineCode: 'generic_decline' });
    expect((await payWith('tok_threeDSecureRequired')).body).toMatchObject({
      status: 'requires_action',
    });
  });
});
