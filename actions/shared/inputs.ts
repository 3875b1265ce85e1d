import { existsSync } from 'node:fs';
import * as core from '@actions/core';

/**
 * Typed parsers over `core.getInput`. Each throws a `TypeError` that names the input when
 * the value does not parse, as `core.getBooleanInput` does.
 */

/** A non-empty input that names an existing file. */
export function getFileInput(name: string, options: { required?: boolean } = {}): string | undefined {
  const value = core.getInput(name, { required: options.required ?? false });
  if (value === '') return undefined;
  if (!existsSync(value)) throw new TypeError(`Input ${name}: file not found: ${value}`);
  return value;
}

/** An input restricted to `choices`; `fallback` when empty. */
export function getChoiceInput<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const value = core.getInput(name) || fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new TypeError(`Input ${name}: expected one of ${choices.join(', ')}, but got "${value}"`);
  }
  return value as T;
}

/** A whole number > 0, or `undefined` when empty. */
export function getPositiveIntegerInput(name: string): number | undefined {
  const value = core.getInput(name);
  if (value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new TypeError(`Input ${name}: expected a whole number > 0, but got "${value}"`);
  return n;
}

/** JSON text parsed to `unknown` (validate it next), or `undefined` when empty. */
export function getJsonInput(name: string): unknown {
  const value = core.getInput(name);
  if (value === '') return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw new TypeError(`Input ${name}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

/** A secret input: masked in logs as soon as it is read. */
export function getSecretInput(name: string, options: { required?: boolean } = {}): string {
  const value = core.getInput(name, { required: options.required ?? false });
  if (value !== '') core.setSecret(value);
  return value;
}

/** A full 40-hex-digit commit SHA (lower-cased), or `undefined` when empty. */
export function getShaInput(name: string): string | undefined {
  const value = core.getInput(name);
  if (value === '') return undefined;
  if (!/^[0-9a-f]{40}$/i.test(value))
    throw new TypeError(`Input ${name}: expected a 40-digit commit SHA, but got "${value}"`);
  return value.toLowerCase();
}

/** A whole number ≥ 0, or `undefined` when empty. */
export function getWholeNumberInput(name: string): number | undefined {
  const value = core.getInput(name);
  if (value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new TypeError(`Input ${name}: expected a whole number ≥ 0, but got "${value}"`);
  return n;
}

/** A YAML 1.2 boolean (`true`/`false` in any of its cases); `false` when empty (no runner default). */
export function getFlagInput(name: string): boolean {
  return core.getInput(name) === '' ? false : core.getBooleanInput(name);
}
