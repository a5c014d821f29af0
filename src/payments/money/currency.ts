import { PaydocError } from '../../errors/paydoc-error.js';

/**
 * The currencies paydoc accepts, with their ISO 4217 exponent: how many decimal places the
 * minor unit has (USD 2 → cents, JPY 0 → yen, KWD 3 → fils). BTC is not in ISO 4217; its minor
 * unit is the satoshi (10^-8 BTC), the unit the chain itself counts in.
 */
export const CURRENCIES = {
  // Two decimals.
  USD: 2,
  EUR: 2,
  GBP: 2,
  CHF: 2,
  PLN: 2,
  CAD: 2,
  AUD: 2,
  NZD: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  CZK: 2,
  HUF: 2,
  SGD: 2,
  HKD: 2,
  MXN: 2,
  BRL: 2,
  INR: 2,
  CNY: 2,
  ZAR: 2,
  ILS: 2,
  TRY: 2,
  // No minor unit.
  JPY: 0,
  KRW: 0,
  ISK: 0,
  CLP: 0,
  VND: 0,
  // Three decimals.
  KWD: 3,
  BHD: 3,
  OMR: 3,
  JOD: 3,
  TND: 3,
  BTC: 8,
} as const;

/** A currency code paydoc knows: upper case, as in ISO 4217. */
export type CurrencyCode = keyof typeof CURRENCIES;

/** A currency and the number of decimal places of its minor unit. */
export interface Currency {
  readonly code: CurrencyCode;
  readonly exponent: number;
}

/** True when `code` is one of {@link CURRENCIES} (exactly: `'usd'` is not). */
export function isCurrencyCode(code: unknown): code is CurrencyCode {
  return typeof code === 'string' && Object.hasOwn(CURRENCIES, code);
}

/**
 * Why `code` is not a known currency, for messages; undefined when it is one. Lower-case codes
 * get a hint, since Stripe-style APIs spell them that way.
 */
export function unknownCurrencyMessage(code: unknown): string | undefined {
  if (isCurrencyCode(code)) return undefined;
  if (typeof code !== 'string')
    return `currency must be a currency code string, not ${describe(code)}`;
  const upper = code.toUpperCase();
  const hint = isCurrencyCode(upper) ? ` (currency codes are upper case: '${upper}')` : '';
  return `unknown currency '${code.slice(0, 16)}'${hint}; known: ${Object.keys(CURRENCIES).join(', ')}`;
}

/**
 * The currency with code `code` and its exponent.
 *
 * Unknown codes throw rather than return a value: by the time code asks for a currency, the
 * amount it belongs to has been validated ({@link parseMoney} reports unknown currencies in
 * input as a value). Use {@link isCurrencyCode} to test a code first.
 *
 * @throws PaydocError `money_unknown_currency` when `code` is not one of {@link CURRENCIES}.
 */
export function currencyOf(code: string): Currency {
  const problem = unknownCurrencyMessage(code);
  if (problem !== undefined) throw new PaydocError('money_unknown_currency', problem);
  const known = code as CurrencyCode;
  return { code: known, exponent: CURRENCIES[known] };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}
