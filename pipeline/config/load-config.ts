import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from '../errors/ConfigError.js';

/**
 * Reads a JSON config file and validates it against `schema`.
 *
 * @param file - path of the JSON file.
 * @param schema - the zod schema the file must match (objects are strict: unknown keys fail).
 * @returns the parsed, typed config.
 * @throws ConfigError naming the file, the JSON path and what was expected.
 */
export function loadConfig<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${file}: cannot read config file (${(error as Error).message})`, file, {
      cause: error,
    });
  }
  return parseConfig(text, schema, file);
}

/**
 * Parses JSON text and validates it against `schema`; `source` names the text in errors.
 *
 * @throws ConfigError on a JSON syntax error (with line and column) or a schema mismatch.
 */
export function parseConfig<S extends z.ZodType>(text: string, schema: S, source: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${source}: invalid JSON: ${describeJsonSyntaxError(text, error)}`, source, {
      cause: error,
    });
  }
  return validateConfig(value, schema, source);
}

/** Validates an already-parsed value; errors name `source` and each failing JSON path. */
export function validateConfig<S extends z.ZodType>(value: unknown, schema: S, source: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${formatIssue(issue, value)}`);
  throw new ConfigError(`${source}: does not match its schema:\n${lines.join('\n')}`, source);
}

/** One zod issue as `$.path.to.key: message (got …)`. */
export function formatIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const path = jsonPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  const actual = valueAt(root, issue.path);
  const got = actual.found ? ` (got ${preview(actual.value)})` : ' (missing)';
  return `${path}: ${issue.message}${got}`;
}

/** `['a', 0, 'b']` → `$.a[0].b`. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '$';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !(key in current)) return { found: false };
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: current };
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Turns V8's "at position N" into a line and column, which people can find in an editor. */
function describeJsonSyntaxError(text: string, error: unknown): string {
  const message = (error as Error).message;
  const match = /position (\d+)/.exec(message);
  if (!match) return message;
  const position = Number(match[1]);
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  // Found without a leading `\s*`, which would retry at every blank of a long run.
  const where = /\(line \d+ column \d+\)/.exec(message);
  const bare = where
    ? message.slice(0, where.index).trimEnd() + message.slice(where.index + where[0].length)
    : message;
  return `${bare} (line ${line}, column ${column})`;
}
