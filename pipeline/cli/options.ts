import { InvalidArgumentError } from 'commander';

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
