import type { ErrorCode } from '../../errors/error-code.js';
import { PaydocError } from '../../errors/paydoc-error.js';
import type { CurrencyCode } from './currency.js';
import { CURRENCIES, unknownCurrencyMessage } from './currency.js';

/**
 * An amount of money: an integer number of the currency's minor units (cents for USD, yen for
 * JPY, satoshis for BTC), never a fraction of one, always a JavaScript safe integer
 * (|amount| ≤ 2^53−1). `{ amount: 1050, currency: 'USD' }` is 10.50 USD.
 *
 * A Money may be negative (the result of {@link subtract}, a net position); the constructors
 * refuse negative amounts unless asked to allow them, because amounts on the wire and in
 * documents are never negative.
 */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** The codes money operations report, a part of the error catalogue. */
export type MoneyErrorCode = Extract<ErrorCode, `money_${string}`>;

/**
 * An expected failure as a value: what {@link parseMoney} returns for input it refuses, with a
 * stable code to switch on and a message for people.
 */
export interface MoneyFailure {
  readonly ok: false;
  readonly code: MoneyErrorCode;
  readonly message: string;
}

/** A value, or the reason there is none. */
export type MoneyResult<T> = { readonly ok: true; readonly value: T } | MoneyFailure;

/** Options of {@link parseMoney} and {@link money}. */
export interface MoneyOptions {
  /** Accept a negative amount (default false: amounts in documents are zero or more). */
  allowNegative?: boolean;
}

/**
 * Checks an amount and a currency that came from outside (a document, a request body) and
 * makes a Money of them. Refusals are values, not exceptions: a float (`10.5`), a string
 * (`'100'`), NaN or Infinity (`money_not_integer`); an integer beyond ±(2^53−1)
 * (`money_overflow`, since it was already rounded when it became a number); a currency not in
 * {@link CURRENCIES} (`money_unknown_currency`); a negative amount unless
 * `options.allowNegative` (`money_negative`). `-0` becomes `0`.
 */
export function parseMoney(
  amount: unknown,
  currency: unknown,
  options: MoneyOptions = {},
): MoneyResult<Money> {
  const currencyProblem = unknownCurrencyMessage(currency);
  if (currencyProblem !== undefined) return failure('money_unknown_currency', currencyProblem);
  const code = currency as CurrencyCode;
  const amountProblem = amountFailure(amount, code);
  if (amountProblem !== undefined) return amountProblem;
  const value = (amount as number) + 0; // turns -0 into 0
  if (value < 0 && options.allowNegative !== true) {
    return failure(
      'money_negative',
      `amount must not be negative, got ${value} (${formatMinor(value, code)})`,
    );
  }
  return { ok: true, value: { amount: value, currency: code } };
}

/**
 * A decimal amount in major units, as people and BitPay write prices (`"10.5"`, `"10.50"`,
 * `"0.00168"`, `"1000"`), as a Money in minor units, exactly: the digits are shifted, never
 * put through a binary float, so `"0.1"` USD is 10 cents and `"10.505"` USD is refused rather
 * than rounded. Accepted: digits with at most one `.` and at least one digit before it, a
 * leading `-` only with `options.allowNegative`; refused (`money_invalid_decimal`): anything
 * else (exponents, `+`, spaces, `,`), and more decimals than the currency has. The result must
 * be a safe integer of minor units (`money_overflow`). Give a JSON number as its source text.
 */
export function parseDecimal(
  text: string,
  currency: unknown,
  options: MoneyOptions = {},
): MoneyResult<Money> {
  const currencyProblem = unknownCurrencyMessage(currency);
  if (currencyProblem !== undefined) return failure('money_unknown_currency', currencyProblem);
  const code = currency as CurrencyCode;
  const shown = JSON.stringify(text.slice(0, 40));
  // Long enough for any amount 2^53 minor units can hold with trailing zeros to spare; a
  // longer text is refused before any pattern looks at it.
  if (text.length > MAX_DECIMAL_LENGTH)
    return failure(
      'money_invalid_decimal',
      `${shown}… is longer than ${MAX_DECIMAL_LENGTH} characters: no amount is`,
    );
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null)
    return failure(
      'money_invalid_decimal',
      `${shown} is not a decimal amount of ${code} (digits, one optional '.', e.g. "10.50")`,
    );
  const [, sign = '', whole = '', fraction = ''] = match;
  const exponent = CURRENCIES[code];
  if (fraction.length > exponent && /[1-9]/.test(fraction.slice(exponent)))
    return failure(
      'money_invalid_decimal',
      exponent === 0
        ? `${code} has no minor unit: ${shown} must be a whole number`
        : `${code} has ${exponent} decimals: ${shown} has more, and amounts are not rounded`,
    );
  const minor = BigInt(whole + fraction.padEnd(exponent, '0').slice(0, exponent));
  const value = sign === '-' ? -minor : minor;
  if (value < 0n && options.allowNegative !== true)
    return failure('money_negative', `amount must not be negative, got ${shown}`);
  if (value > MAX_SAFE || value < -MAX_SAFE)
    return failure('money_overflow', `${shown} ${code} is beyond 2^53−1 minor units`);
  return { ok: true, value: { amount: Number(value) + 0, currency: code } };
}

/**
 * A Money from an amount in minor units and a currency code known to be good (a literal, a
 * value already checked): `money(1050, 'USD')` is 10.50 USD.
 *
 * @throws PaydocError with the code {@link parseMoney} would report.
 */
export function money(amount: number, currency: string, options: MoneyOptions = {}): Money {
  return unwrap(parseMoney(amount, currency, options));
}

/** Zero in `currency`. @throws PaydocError `money_unknown_currency`. */
export function zero(currency: string): Money {
  return money(0, currency);
}

/** The value of a {@link MoneyResult}, or a thrown {@link PaydocError} with its code and message. */
export function unwrap<T>(result: MoneyResult<T>): T {
  if (!result.ok) throw new PaydocError(result.code, result.message);
  return result.value;
}

/**
 * Checks a Money handed to an operation (a TypeScript type does not stop a float or a made-up
 * currency arriving from JavaScript or JSON) and returns its currency code.
 *
 * @throws PaydocError `money_not_integer`, `money_overflow` or `money_unknown_currency`.
 */
export function checkMoney(value: Money, role = 'amount'): CurrencyCode {
  if (typeof value !== 'object' || value === null) {
    throw new PaydocError(
      'money_not_integer',
      `${role} must be a Money {amount, currency}, not ${value === null ? 'null' : typeof value}`,
    );
  }
  const currencyProblem = unknownCurrencyMessage(value.currency);
  if (currencyProblem !== undefined) {
    throw new PaydocError('money_unknown_currency', `${role}: ${currencyProblem}`);
  }
  const code = value.currency as CurrencyCode;
  const problem = amountFailure(value.amount, code);
  if (problem !== undefined) throw new PaydocError(problem.code, `${role}: ${problem.message}`);
  return code;
}

/**
 * The Money of an exact result computed with bigint.
 *
 * @throws PaydocError `money_overflow` when `amount` is beyond ±(2^53−1), naming `operation`.
 */
export function moneyFromBigInt(amount: bigint, currency: CurrencyCode, operation: string): Money {
  if (amount > MAX_SAFE || amount < -MAX_SAFE) {
    throw new PaydocError(
      'money_overflow',
      `${operation}: the result, ${amount} minor units of ${currency}, is beyond ±(2^53−1)`,
    );
  }
  return { amount: Number(amount) + 0, currency };
}

/** An amount in minor units written in major units, e.g. 1050 USD → `10.50` (exact, no floats). */
export function formatMinor(amount: number | bigint, currency: CurrencyCode): string {
  const exponent = CURRENCIES[currency];
  const value = BigInt(amount);
  const digits = (value < 0n ? -value : value).toString().padStart(exponent + 1, '0');
  const sign = value < 0n ? '-' : '';
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** The longest decimal text {@link parseDecimal} reads. */
const MAX_DECIMAL_LENGTH = 64;

function failure(code: MoneyErrorCode, message: string): MoneyFailure {
  return { ok: false, code, message };
}

function amountFailure(amount: unknown, currency: CurrencyCode): MoneyFailure | undefined {
  const unit = `minor units of ${currency}`;
  if (typeof amount === 'string') {
    return failure(
      'money_not_integer',
      `amount must be an integer number of ${unit}, not a string (${JSON.stringify(amount.slice(0, 32))})`,
    );
  }
  if (typeof amount !== 'number') {
    const kind = amount === null ? 'null' : Array.isArray(amount) ? 'a list' : `a ${typeof amount}`;
    return failure('money_not_integer', `amount must be an integer number of ${unit}, not ${kind}`);
  }
  if (!Number.isFinite(amount)) {
    return failure(
      'money_not_integer',
      `amount must be a finite integer number of ${unit}, not ${amount}`,
    );
  }
  if (!Number.isInteger(amount)) {
    return failure(
      'money_not_integer',
      `amount ${amount} is not an integer number of ${unit}${floatHint(amount, currency)}`,
    );
  }
  if (!Number.isSafeInteger(amount)) {
    return failure(
      'money_overflow',
      `amount ${amount} is beyond ±(2^53−1) ${unit} and has already lost precision`,
    );
  }
  return undefined;
}

// The usual mistake is an amount in major units: say what the intended minor amount would be.
function floatHint(amount: number, currency: CurrencyCode): string {
  const exponent = CURRENCIES[currency];
  if (exponent === 0) return ` (${currency} has no minor unit)`;
  const scaled = amount * 10 ** exponent;
  const rounded = Math.round(scaled);
  if (Math.abs(scaled - rounded) > 1e-6 || !Number.isSafeInteger(rounded)) return '';
  return ` (amounts are in minor units: ${formatMinor(rounded, currency)} ${currency} is ${rounded})`;
}
