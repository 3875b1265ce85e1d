import { InvalidArgumentError } from 'commander';
import { AZUREML_ENDPOINT_NAME } from '../config/deployment-config.js';

/** Parses a whole number ≥ `min` for a CLI option (accepts 50000, 50_000, 50,000 and 50k). */
export function wholeNumber(min = 0): (value: string) => number {
  return (value) => {
    const text = value.trim().toLowerCase().replace(/[_,]/g, '');
    const n = text.endsWith('k')
      ? Number(text.slice(0, -1)) * 1000
      : text.endsWith('m')
        ? Number(text.slice(0, -1)) * 1e6
        : Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`expected a whole number >= ${min}, got "${value}"`);
    return n;
  };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration such as `250ms`, `30s`, `5m`, `2h` or `7d` into milliseconds. */
export function duration(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i.exec(value);
  if (!match) throw new InvalidArgumentError(`expected a duration such as 30s, 5m, 2h or 7d, got "${value}"`);
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]!.toLowerCase()]!);
}

/** Parses an ISO 8601 date (`2024-01-31`, taken as UTC midnight) or date-time. */
export function isoDate(value: string): Date {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? `${value.trim()}T00:00:00Z` : value.trim();
  const date = new Date(text);
  if (Number.isNaN(date.getTime()))
    throw new InvalidArgumentError(`expected an ISO date or date-time, got "${value}"`);
  return date;
}

/**
 * Parses an endpoint name as Azure ML takes it (3-32 letters, digits or '-', a letter first): the
 * name also names folders under `$OPP_HOME`, so `../x` never gets that far.
 */
export function endpointName(value: string): string {
  if (!AZUREML_ENDPOINT_NAME.test(value))
    throw new InvalidArgumentError(
      `expected an endpoint name of 3-32 letters, digits or "-", starting with a letter, got ${JSON.stringify(value.slice(0, 80))}`,
    );
  return value;
}
