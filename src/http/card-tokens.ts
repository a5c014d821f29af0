import { randomInt } from 'node:crypto';
import type { Outcome } from '../engine/outcome.js';
import { failure } from '../engine/outcome.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import {
  ISSUED_TOKEN_RANDOM_LENGTH,
  issuedTokenBehaviour,
  luhnValid,
} from '../payments/card/card-network.js';

/*
 * Test mode's card tokens (`POST /test/tokens`), as Stripe's: a card number goes in, a token
 * comes out, and only the token is ever written into a payment document. The card's number is
 * checked (12 to 19 digits, Luhn) and its expiry too; the token says what the simulated network
 * will do with it (card-network.ts), followed by a random part drawn here, at the edge. Nothing
 * is stored: the token is all there is.
 */

/** The card brands Stripe names, by the number's leading digits. */
export type CardBrand =
  'visa' | 'mastercard' | 'amex' | 'discover' | 'diners' | 'jcb' | 'unionpay' | 'unknown';

/** A token issued, as `POST /test/tokens` answers it. */
export interface IssuedToken {
  id: string;
  card: { brand: CardBrand; last4: string; exp_month: number; exp_year: number };
}

/** How far ahead a card's expiry year may be. */
const MAX_YEARS_AHEAD = 50;
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The brand of a card number (digits only), by its issuer prefix. */
export function cardBrand(digits: string): CardBrand {
  const prefix = (length: number) => Number(digits.slice(0, length));
  if (digits.startsWith('4')) return 'visa';
  if ((prefix(2) >= 51 && prefix(2) <= 55) || (prefix(4) >= 2221 && prefix(4) <= 2720))
    return 'mastercard';
  if (prefix(2) === 34 || prefix(2) === 37) return 'amex';
  if (prefix(4) === 6011 || prefix(2) === 65 || (prefix(3) >= 644 && prefix(3) <= 649))
    return 'discover';
  if (prefix(4) >= 3528 && prefix(4) <= 3589) return 'jcb';
  if ((prefix(3) >= 300 && prefix(3) <= 305) || [36, 38, 39].includes(prefix(2))) return 'diners';
  if (prefix(2) === 62) return 'unionpay';
  return 'unknown';
}

/**
 * The random part of a token: base62, from node:crypto. It never holds 12 digits in a row, so
 * that no token looks as if it carried a card number (the processor refuses those).
 */
export function drawTokenRandom(): string {
  for (;;) {
    let text = '';
    for (let i = 0; i < ISSUED_TOKEN_RANDOM_LENGTH; i += 1) text += BASE62[randomInt(62)];
    if (!/[0-9]{12}/.test(text)) return text;
  }
}

/**
 * A token for the body's `card: {number, exp_month, exp_year, cvc?}`, valid at `at` (the
 * server's clock), its random part `random`; or the first thing wrong with the card. No
 * message repeats the number: at most its last 4 digits.
 */
export function issueTestToken(body: JsonObject, at: number, random: string): Outcome<IssuedToken> {
  const card = own(body, 'card');
  if (!isJsonObject(card))
    return failure(
      'invalid_request',
      'card must be a map {number, exp_month, exp_year, cvc?}: the card to tokenise',
      'card',
    );
  const number = cardNumber(own(card, 'number'));
  if (!number.ok) return number;
  const digits = number.value;
  const month = digitsOf(own(card, 'exp_month'), 2);
  if (month === undefined || month < 1 || month > 12)
    return failure(
      'invalid_expiry_month',
      'card.exp_month must be the expiry month, an integer from 1 to 12',
      'card.exp_month',
    );
  const yearGiven = digitsOf(own(card, 'exp_year'), 4);
  const year = yearGiven !== undefined && yearGiven < 100 ? 2000 + yearGiven : yearGiven;
  const thisYear = new Date(at).getUTCFullYear();
  if (year === undefined || year < 1000 || year > thisYear + MAX_YEARS_AHEAD)
    return failure(
      'invalid_expiry_year',
      `card.exp_year must be the expiry year, four digits (or two, for 20xx), at most ${MAX_YEARS_AHEAD} years ahead`,
      'card.exp_year',
    );
  // A card is good through the last day of its expiry month (UTC): it expires as the next begins.
  if (Date.UTC(year, month, 1) <= at)
    return failure(
      'expired_card',
      `the card ending in ${digits.slice(-4)} expired at the end of ${year}-${String(month).padStart(2, '0')}`,
      'card.exp_year',
    );
  const cvc = own(card, 'cvc');
  if (cvc !== undefined && !/^[0-9]{3,4}$/.test(cvcText(cvc)))
    return failure('invalid_cvc', 'card.cvc must be the 3 or 4 digit security code', 'card.cvc');
  const brand = cardBrand(digits);
  return {
    ok: true,
    value: {
      id: `${issuedTokenBehaviour(digits, brand)}_${random}`,
      card: { brand, last4: digits.slice(-4), exp_month: month, exp_year: year },
    },
  };
}

/** The card number as its digits: 12 to 19 of them (spaces and dashes allowed), Luhn-valid. */
function cardNumber(value: JsonValue | undefined): Outcome<string> {
  const text =
    typeof value === 'string' ? value : Number.isSafeInteger(value) ? String(value) : undefined;
  const digits = text !== undefined && text.length <= 64 ? text.trim().replace(/[ -]/g, '') : '';
  if (!/^[0-9]{12,19}$/.test(digits))
    return failure(
      'invalid_card_number',
      'card.number must be the card number, 12 to 19 digits (spaces and dashes allowed)',
      'card.number',
    );
  if (!luhnValid(digits))
    return failure(
      'invalid_card_number',
      `the card number ending in ${digits.slice(-4)} is not a card number: it fails the Luhn check (a digit mistyped?)`,
      'card.number',
    );
  return { ok: true, value: digits };
}

/** A small non-negative integer given as a number or as a text of at most `width` digits. */
function digitsOf(value: JsonValue | undefined, width: number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && new RegExp(`^[0-9]{1,${width}}$`).test(value))
    return Number(value);
  return undefined;
}

function cvcText(value: JsonValue): string {
  if (typeof value === 'string') return value;
  return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : '';
}

function own(object: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}
