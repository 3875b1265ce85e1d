import { InvalidArgumentError } from 'commander';
import { AZUREML_ENDPOINT_NAME } from '../config/deployment-config.js';
import { parseDuration, parseIsoDate } from '../util/parse-values.js';

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

/** A library parser (which throws a TypeError) as a commander option parser, with its message. */
export function cliParser<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

/** Parses a duration such as `250ms`, `30s`, `5m`, `2h` or `7d` into milliseconds. */
export const duration = cliParser(parseDuration);

/** Parses an ISO 8601 date (`2024-01-31`, taken as UTC midnight) or date-time. */
export const isoDate = cliParser(parseIsoDate);

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
