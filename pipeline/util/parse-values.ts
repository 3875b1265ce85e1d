/**
 * Parsers of the values people type (durations, dates) shared by every face: each throws a
 * TypeError naming what it expected; the faces add the option or input name.
 */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration such as `250ms`, `30s`, `5m`, `2h` or `7d` into milliseconds. */
export function parseDuration(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i.exec(value);
  if (!match) throw new TypeError(`expected a duration such as 30s, 5m, 2h or 7d, got "${value}"`);
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]!.toLowerCase()]!);
}

/** Parses an ISO 8601 date (`2024-01-31`, taken as UTC midnight) or date-time. */
export function parseIsoDate(value: string): Date {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? `${value.trim()}T00:00:00Z` : value.trim();
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new TypeError(`expected an ISO date or date-time, got "${value}"`);
  return date;
}
