/**
 * Parsers for the loosely typed values found in source records. Each returns a number or a
 * `ValueError` whose reason says what was found and what was expected.
 */

export class ValueError {
  constructor(readonly reason: string) {}
}

export type Parsed = number | ValueError;

const MS_PER_DAY = 86_400_000;
/** The furthest a JavaScript Date reaches from the epoch: ±100,000,000 days (ECMA-262). */
const MAX_DATE_MS = 8.64e15;

/**
 * The longest text a number, date or flag may be. Every form these parsers accept fits in far
 * less (`Tue, 05 Mar 2024 10:00:00 GMT` is 29 characters); longer text is refused before any
 * pattern sees it, so a hostile value costs nothing to reject.
 */
export const MAX_SCALAR_CHARS = 100;

/** A ValueError for text longer than {@link MAX_SCALAR_CHARS}, else undefined. */
function tooLong(text: string, expected: string): ValueError | undefined {
  return text.length > MAX_SCALAR_CHARS
    ? new ValueError(`expected ${expected} of at most ${MAX_SCALAR_CHARS} characters, got ${text.length}`)
    : undefined;
}

/** True for undefined, null and blank strings: the value is absent. */
export function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (value !== null && typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'y', 't']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'n', 'f']);

/** Reads 0/1 from booleans, 0/1 numbers and words such as "true"/"no". */
export function parseFlag(value: unknown): Parsed {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === 0 || value === 1) return value;
  if (typeof value === 'string' && value.length <= MAX_SCALAR_CHARS) {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return 1;
    if (FALSE_WORDS.has(word)) return 0;
  }
  return new ValueError(`expected a flag (true/false, 1/0, yes/no), got ${describeValue(value)}`);
}

// Each digit run can be matched one way only: `\d+\.?\d*` (the old form) could split a run of
// digits between its two `\d` at every point, which took seconds to reject 100 KB of digits.
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const GROUPED_NUMBER = /^[+-]?\d{1,3}(?:[, _]\d{3})+(?:\.\d+)?$/;

/**
 * Reads a number from a number or text such as "12,500 sq ft". `units` maps accepted unit
 * suffixes (matched case-insensitively, longest first) to the factor that converts them.
 */
export function parseNumber(value: unknown, units: ReadonlyArray<readonly [string, number]> = []): Parsed {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : new ValueError(`expected a finite number, got ${value}`);
  }
  if (typeof value !== 'string') return new ValueError(`expected a number, got ${describeValue(value)}`);
  const long = tooLong(value, 'a number');
  if (long) return long;
  let text = value.trim().toLowerCase();
  let factor = 1;
  for (const [unit, unitFactor] of units) {
    if (text.endsWith(unit)) {
      text = text.slice(0, -unit.length).trimEnd();
      factor = unitFactor;
      break;
    }
  }
  if (GROUPED_NUMBER.test(text)) text = text.replace(/[, _]/g, '');
  if (!PLAIN_NUMBER.test(text)) {
    const accepted = units.length > 0 ? ` with an optional unit (${units.map(([u]) => u).join(', ')})` : '';
    return new ValueError(`expected a number${accepted}, got ${describeValue(value)}`);
  }
  const number = Number(text) * factor;
  return Number.isFinite(number)
    ? number
    : new ValueError(`expected a finite number, got ${describeValue(value)}`);
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const SLASHED = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*(am|pm)?)?$/i;
const DOTNET = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;
const RFC_1123 =
  /^(?:[A-Z][a-z]{2}, )?\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}(?::\d{2})? (?:GMT|UTC|Z|[+-]\d{4})$/;

/**
 * Reads a point in time (ms since the epoch, UTC) from the formats seen in source records:
 * ISO 8601 (date, date-time, optional offset; no offset means UTC), `MM/DD/YYYY [hh:mm[:ss] [AM|PM]]`
 * (or day-first), .NET `/Date(ms)/`, RFC 1123 (`Tue, 05 Mar 2024 10:00:00 GMT`), and epoch
 * milliseconds as a number.
 */
export function parseDate(value: unknown, slashOrder: 'month-first' | 'day-first' = 'month-first'): Parsed {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : new ValueError(`expected a date, got ${value}`);
  }
  if (typeof value !== 'string') return new ValueError(`expected a date, got ${describeValue(value)}`);
  const long = tooLong(value, 'a date');
  if (long) return long;
  const text = value.trim();
  let m = ISO.exec(text);
  if (m) {
    const offset = m[8] ? parseOffset(m[8]) : 0;
    const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
    return checked(text, +m[1]!, +m[2]!, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), fraction, offset);
  }
  m = SLASHED.exec(text);
  if (m) {
    const [month, day] = slashOrder === 'month-first' ? [+m[1]!, +m[2]!] : [+m[2]!, +m[1]!];
    let hour = +(m[4] ?? 0);
    const meridiem = m[7]?.toLowerCase();
    if (meridiem) {
      if (hour < 1 || hour > 12)
        return new ValueError(
          `hour ${hour} is not valid with ${meridiem.toUpperCase()} in ${describeValue(value)}`,
        );
      hour = (hour % 12) + (meridiem === 'pm' ? 12 : 0);
    }
    return checked(text, +m[3]!, month, day, hour, +(m[5] ?? 0), +(m[6] ?? 0), 0, 0);
  }
  m = DOTNET.exec(text);
  if (m) {
    const ms = Number(m[1]);
    if (!(Math.abs(ms) <= MAX_DATE_MS))
      return new ValueError(`${describeValue(value)} is outside the dates JavaScript can hold`);
    return ms;
  }
  if (RFC_1123.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ms;
  }
  return new ValueError(
    `expected a date (ISO 8601, MM/DD/YYYY, /Date(ms)/ or RFC 1123), got ${describeValue(value)}`,
  );
}

/** Whole days from `referenceMs` to `ms`, rounded down (the seed used Python's `timedelta.days`). */
export function daysSince(ms: number, referenceMs: number): number {
  return Math.floor((ms - referenceMs) / MS_PER_DAY);
}

function parseOffset(text: string): number {
  if (text.toUpperCase() === 'Z') return 0;
  const sign = text.startsWith('-') ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
}

function checked(
  text: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
  offsetMinutes: number,
): Parsed {
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const back = new Date(Date.UTC(year, month - 1, day));
  const valid =
    back.getUTCFullYear() === year &&
    back.getUTCMonth() === month - 1 &&
    back.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60;
  if (!valid) return new ValueError(`${JSON.stringify(text)} is not a real calendar date and time`);
  return utc - offsetMinutes * 60_000;
}
