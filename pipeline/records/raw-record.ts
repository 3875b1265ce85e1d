import { z } from 'zod';

/**
 * The record API's record, as the seed system read it. Field names vary between producers, so
 * each canonical field accepts the aliases below (first present alias wins). Fields not listed
 * are kept under their own names, so a feature spec can read a company's extra fields.
 */
export const RAW_RECORD_ALIASES = {
  id: ['RecordID', 'Id', 'id'],
  state: ['PartitionKey', 'partitionKey', 'table', 'Table'],
  userName: ['userName', 'UserName'],
  date: ['timestamp', 'dateReceived'],
  is_duplicate: ['is_duplicate'],
  project_size: ['project_size'],
  vip_details: ['vip_details', 'VipDetails'],
  segment: ['segment', 'Segment'],
  division: ['division', 'Division'],
} as const satisfies Record<string, readonly string[]>;

export type CanonicalField = keyof typeof RAW_RECORD_ALIASES;

const scalar = z.union([z.string(), z.number(), z.boolean()]).nullable().optional();

/** Schema of a record after alias resolution. Values stay loose: feature rules parse them. */
export const RawRecordSchema = z.looseObject({
  id: z.union([z.string().trim().min(1, 'must not be empty'), z.number().transform(String)]),
  state: z.string().trim().min(1, 'must not be empty'),
  userName: z.string().nullable().optional(),
  date: z.union([z.string(), z.number()]).nullable().optional(),
  is_duplicate: scalar,
  project_size: z.union([z.string(), z.number()]).nullable().optional(),
  vip_details: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .nullable()
    .optional(),
  segment: z.string().nullable().optional(),
  division: z.union([z.number(), z.string()]).nullable().optional(),
});

export type RawRecord = z.output<typeof RawRecordSchema>;

/** A record to score: the same fields, but it need not have an id or a state yet. */
const ScoringRecordSchema = RawRecordSchema.partial({ id: true, state: true });

export interface ParseRawRecordOptions {
  /** Require the id and state fields (default true); scoring takes records without them. */
  requireIdentity?: boolean;
}

export type ParseRawRecordResult =
  | { ok: true; record: RawRecord }
  | { ok: false; reason: string; field?: string };

const ALIAS_OF = new Map<string, CanonicalField>(
  Object.entries(RAW_RECORD_ALIASES).flatMap(([canonical, aliases]) =>
    aliases.map((alias) => [alias, canonical as CanonicalField] as const),
  ),
);

/**
 * Resolves aliases and validates a record from the record API.
 *
 * @returns the canonical record, or the reason it is invalid (naming the field and its aliases).
 */
export function parseRawRecord(input: unknown, options: ParseRawRecordOptions = {}): ParseRawRecordResult {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, reason: `a record must be a JSON object, but got ${describe(input)}` };
  }
  const source = input as Record<string, unknown>;
  const canonical: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) if (!ALIAS_OF.has(key)) canonical[key] = value;
  for (const [name, aliases] of Object.entries(RAW_RECORD_ALIASES)) {
    // The first alias (in RAW_RECORD_ALIASES order) that holds a value wins.
    const present = aliases.filter((alias) => source[alias] !== undefined);
    const chosen = present.find((alias) => source[alias] !== null) ?? present[0];
    if (chosen !== undefined) canonical[name] = source[chosen];
  }
  const schema = options.requireIdentity === false ? ScoringRecordSchema : RawRecordSchema;
  const result = schema.safeParse(canonical);
  if (result.success) return { ok: true, record: result.data as RawRecord };
  const issue = result.error.issues[0]!;
  const field = String(issue.path[0] ?? '');
  const aliases = RAW_RECORD_ALIASES[field as CanonicalField];
  const names = aliases ? `${field} (${aliases.join(' | ')})` : field;
  const value = canonical[field];
  const detail = value === undefined ? 'missing' : `${issue.message}, got ${describe(value)}`;
  return { ok: false, field, reason: `${names}: ${detail}` };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
