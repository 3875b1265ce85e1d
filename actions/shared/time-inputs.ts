import * as core from '@actions/core';
import { parseDuration, parseIsoDate } from '../../pipeline/util/parse-values.js';

/** Typed parsers for time inputs, with the library's parsers (the CLI uses the same). */

/** A duration such as `30s`, `5m` or `7d` in milliseconds, or `undefined` when empty. */
export function getDurationInput(name: string): number | undefined {
  const value = core.getInput(name);
  if (value === '') return undefined;
  try {
    return parseDuration(value);
  } catch (error) {
    throw new TypeError(`Input ${name}: ${(error as Error).message}`, { cause: error });
  }
}

/** An ISO date (`2024-01-31`, UTC midnight) or date-time, or `undefined` when empty. */
export function getDateInput(name: string, options: { required?: boolean } = {}): Date | undefined {
  const value = core.getInput(name, { required: options.required ?? false });
  if (value === '') return undefined;
  try {
    return parseIsoDate(value);
  } catch (error) {
    throw new TypeError(`Input ${name}: ${(error as Error).message}`, { cause: error });
  }
}
