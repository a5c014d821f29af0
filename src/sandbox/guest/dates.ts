// Dates: no clock, and UTC wherever JavaScript would use the host's time zone. Locale-sensitive
// methods default to en-US (and dates to UTC), not to the host's locale.
import { caught } from './guard.js';
import type { AnyFunction } from './intrinsics.js';
import {
  apply,
  construct,
  dateGetTime,
  dateParse,
  dateUtc,
  defineHidden,
  defineProperty,
  G,
  member,
  objectAssign,
  RealDate,
  RealError,
  RealTypeError,
  regexpTest,
  stringPadStart,
} from './intrinsics.js';

const NO_CLOCK = 'no clock: time comes in with events';
// What the running call's step can take the time from (`entry.timestamp`), and what it runs on
// ("timeline channel `buyer`, whose event is the entry's message"): the host says, with each
// call ('' for not known), so the hint is the same on every sandbox.
let clockSource = '';
let clockOrigin = '';

/** The running call's clock hint (ScriptClock); '' for absent. */
export function setClock(source: string, origin: string): void {
  clockSource = source;
  clockOrigin = origin;
}

/** What a step that asked for the clock should do instead. */
function clockHint(): string {
  if (clockOrigin === '') return clockSource === '' ? NO_CLOCK : `use ${clockSource}`;
  return clockSource === ''
    ? `${NO_CLOCK} (this step runs on ${clockOrigin}, which brings none)`
    : `this step runs on ${clockOrigin}: use ${clockSource}`;
}

function newDateHint(): string {
  if (clockSource === '') return `pass a value; ${clockHint()}`;
  const origin = clockOrigin === '' ? '' : ` (this step runs on ${clockOrigin})`;
  return `pass a value, e.g. new Date(${clockSource})${origin}`;
}

function clockRefusal(what: string): string {
  return `${what} is not available in paydoc scripts: ${clockHint()}`;
}

// An ISO date-time without an offset is local time in JavaScript; here it is UTC.
const ISO_WITHOUT_OFFSET = /^(?:[+-]\d{6}|\d{4})-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;
const DatePrototype = RealDate.prototype;

type DateMethod = (this: Date) => number;
const dateMethod = (name: string): DateMethod => member(DatePrototype, name) as DateMethod;
const getUTCFullYear = dateMethod('getUTCFullYear');
const getUTCMonth = dateMethod('getUTCMonth');
const getUTCDate = dateMethod('getUTCDate');
const getUTCDay = dateMethod('getUTCDay');
const getUTCHours = dateMethod('getUTCHours');
const getUTCMinutes = dateMethod('getUTCMinutes');
const getUTCSeconds = dateMethod('getUTCSeconds');

function isRealDate(value: unknown): boolean {
  try {
    apply(dateGetTime, value, []);
    return true;
  } catch (error) {
    caught(error);
    return false;
  }
}

function parseUtc(text: string): number {
  return (apply(regexpTest, ISO_WITHOUT_OFFSET, [text]) as boolean)
    ? dateParse(`${text}Z`)
    : dateParse(text);
}

function toPrimitive(value: object): unknown {
  const exotic = member(value, Symbol.toPrimitive);
  if (exotic !== undefined && exotic !== null)
    return apply(exotic as AnyFunction, value, ['default']);
  for (const method of ['valueOf', 'toString']) {
    const fn = member(value, method);
    if (typeof fn === 'function') {
      const result: unknown = apply(fn as AnyFunction, value, []);
      if (result === null || (typeof result !== 'object' && typeof result !== 'function'))
        return result;
    }
  }
  throw new RealTypeError('Cannot convert object to primitive value');
}

function PaydocDate(this: unknown, ...args: unknown[]): Date {
  if (new.target === undefined) throw new RealError(clockRefusal('Date()'));
  if (args.length === 0) {
    throw new RealError(
      `new Date() without a value is not available in paydoc scripts: ${newDateHint()}`,
    );
  }
  let time: unknown;
  if (args.length === 1) {
    let value = args[0];
    if (
      value !== null &&
      (typeof value === 'object' || typeof value === 'function') &&
      !isRealDate(value)
    ) {
      value = toPrimitive(value);
    }
    time = typeof value === 'string' ? parseUtc(value) : value;
  } else {
    time = apply(dateUtc, RealDate, args);
  }
  return construct(RealDate, [time], new.target) as Date;
}

function pad(number: number, width: number): string {
  return apply(stringPadStart, String(number), [width, '0']) as string;
}
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const call = (method: DateMethod, date: unknown): number => apply(method, date, []) as number;

function utcDateText(date: unknown): string {
  const year = call(getUTCFullYear, date);
  const yearText = year < 0 ? `-${pad(-year, 6)}` : pad(year, 4);
  return `${DAYS[call(getUTCDay, date)] ?? ''} ${MONTHS[call(getUTCMonth, date)] ?? ''} ${pad(call(getUTCDate, date), 2)} ${yearText}`;
}
function utcTimeText(date: unknown): string {
  return `${pad(call(getUTCHours, date), 2)}:${pad(call(getUTCMinutes, date), 2)}:${pad(call(getUTCSeconds, date), 2)} GMT+0000 (Coordinated Universal Time)`;
}
function isInvalid(date: unknown): boolean {
  const time = apply(dateGetTime, date, []) as number;
  return time !== time;
}

/** Replaces Date; returns the replacement (a root to freeze: it is the global Date). */
export function installDates(): AnyFunction {
  defineProperty(PaydocDate, 'prototype', { value: DatePrototype, writable: false });
  defineProperty(PaydocDate, 'name', { value: 'Date' });
  defineProperty(PaydocDate, 'length', { value: 7 });
  // A plain function, as hardening.ts's stubs are, so that `new Date.now()` says the same.
  const now = function (): never {
    throw new RealError(clockRefusal('Date.now()'));
  };
  defineProperty(now, 'name', { value: 'Date.now()' });
  defineHidden(PaydocDate, 'now', now);
  defineHidden(PaydocDate, 'UTC', dateUtc);
  defineHidden(
    PaydocDate,
    'parse',
    {
      parse(text: unknown) {
        return parseUtc(String(text));
      },
    }.parse,
  );
  defineHidden(DatePrototype, 'constructor', PaydocDate);
  defineHidden(G, 'Date', PaydocDate);

  for (const name of [
    'FullYear',
    'Month',
    'Date',
    'Day',
    'Hours',
    'Minutes',
    'Seconds',
    'Milliseconds',
  ]) {
    defineHidden(DatePrototype, `get${name}`, member(DatePrototype, `getUTC${name}`));
    if (name !== 'Day')
      defineHidden(DatePrototype, `set${name}`, member(DatePrototype, `setUTC${name}`));
  }
  delete (DatePrototype as unknown as Record<string, unknown>).getYear;
  delete (DatePrototype as unknown as Record<string, unknown>).setYear;
  defineHidden(
    DatePrototype,
    'getTimezoneOffset',
    {
      getTimezoneOffset(this: unknown) {
        const time = apply(dateGetTime, this, []) as number;
        return time === time ? 0 : NaN;
      },
    }.getTimezoneOffset,
  );
  defineHidden(
    DatePrototype,
    'toString',
    {
      toString(this: unknown) {
        return isInvalid(this) ? 'Invalid Date' : `${utcDateText(this)} ${utcTimeText(this)}`;
      },
    }.toString,
  );
  defineHidden(
    DatePrototype,
    'toDateString',
    {
      toDateString(this: unknown) {
        return isInvalid(this) ? 'Invalid Date' : utcDateText(this);
      },
    }.toDateString,
  );
  defineHidden(
    DatePrototype,
    'toTimeString',
    {
      toTimeString(this: unknown) {
        return isInvalid(this) ? 'Invalid Date' : utcTimeText(this);
      },
    }.toTimeString,
  );
  return PaydocDate as unknown as AnyFunction;
}

const DEFAULT_LOCALE = 'en-US';

function defaultLocale(
  prototype: object,
  name: string,
  localeIndex: number,
  isDate: boolean,
): void {
  const original = member(prototype, name);
  if (typeof original !== 'function') return;
  defineHidden(
    prototype,
    name,
    {
      [name](this: unknown, ...args: unknown[]) {
        if (args[localeIndex] === undefined) args[localeIndex] = DEFAULT_LOCALE;
        if (isDate) {
          const options = args[localeIndex + 1];
          if (options === undefined || options === null) {
            args[localeIndex + 1] = { timeZone: 'UTC' };
          } else if ((options as { timeZone?: unknown }).timeZone === undefined) {
            args[localeIndex + 1] = objectAssign({}, options, { timeZone: 'UTC' });
          }
        }
        return apply(original as AnyFunction, this, args);
      },
    }[name],
  );
}

/** Locale-sensitive methods default to en-US, and dates to UTC. */
export function installLocaleDefaults(): void {
  defaultLocale(DatePrototype, 'toLocaleString', 0, true);
  defaultLocale(DatePrototype, 'toLocaleDateString', 0, true);
  defaultLocale(DatePrototype, 'toLocaleTimeString', 0, true);
  defaultLocale(Number.prototype, 'toLocaleString', 0, false);
  defaultLocale(BigInt.prototype, 'toLocaleString', 0, false);
  defaultLocale(String.prototype, 'localeCompare', 1, false);
  defaultLocale(String.prototype, 'toLocaleUpperCase', 0, false);
  defaultLocale(String.prototype, 'toLocaleLowerCase', 0, false);
}
