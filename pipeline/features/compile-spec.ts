import { parseRawRecord } from '../records/raw-record.js';
import { hashJson } from '../util/canonical-json.js';
import { checkFeatures, type FeatureProblem, type FeatureRange, rangesOf } from './feature-ranges.js';
import type { FeatureRule, FeatureSpec } from './feature-spec.js';
import {
  daysSince,
  describeValue,
  isBlank,
  type Parsed,
  parseDate,
  parseFlag,
  parseNumber,
  ValueError,
} from './parse-value.js';

/** One training example: the ML-ready row that ingestion stores and training reads. */
export interface MlRow {
  recordId: string;
  division: number;
  /** 1 = pursued, 0 = not pursued. */
  label: 0 | 1;
  /** Feature values in the spec's order. */
  features: Float64Array;
}

/**
 * What became of one source record. `rule` is a short, stable key to count outcomes by
 * (e.g. `state=pastdue`, `project_size`); `reason` is the full sentence for people.
 */
export type ExtractResult =
  | { status: 'kept'; row: MlRow }
  | { status: 'excluded'; rule: string; reason: string }
  | { status: 'invalid'; rule: string; reason: string };

export type FeaturesResult =
  | { ok: true; features: Float64Array }
  | { ok: false; rule: string; reason: string };

/** The longest text any field of a record may hold (a record API record is far smaller). */
export const MAX_FIELD_CHARS = 65_536;

/** A feature spec turned into functions; build it once with {@link compileFeatureSpec}. */
export interface CompiledFeatureSpec {
  readonly spec: FeatureSpec;
  /** Output feature names, in order. */
  readonly featureNames: readonly string[];
  /** SHA-256 of the spec's canonical JSON: a model bundle and a snapshot record it. */
  readonly hash: string;
  /** Every source field the spec reads. */
  readonly fields: readonly string[];
  /** Each output feature's range, in {@link featureNames} order. */
  readonly ranges: readonly FeatureRange[];
  /**
   * Checks a feature vector made elsewhere (a features CSV, a request's features by name)
   * against the ranges the spec gives: finite, within bounds, whole where required, 0/1 flags
   * and exactly one column of each one-hot group set. Returns the first problem, else undefined.
   */
  checkFeatures(features: ArrayLike<number>): FeatureProblem | undefined;
  /** The record's id by the spec's id rule (aliases resolved), if it has a usable one. */
  recordIdOf(record: unknown): string | undefined;
  /**
   * Turns a source record into a training example, or says why it is excluded or invalid.
   * @param unseen - if given, fields found non-blank in this record are deleted from it.
   */
  extract(record: unknown, unseen?: Set<string>): ExtractResult;
  /** Computes only the features (for scoring): no id, label or filter rules apply. */
  computeFeatures(record: unknown): FeaturesResult;
  /** The division of a record by the spec's division rule (for routing a scoring request). */
  computeDivision(
    record: unknown,
  ): { ok: true; division: number } | { ok: false; rule: string; reason: string };
}

type Row = Record<string, unknown>;
/** Writes one rule's outputs at `offset`; returns an error for an unusable value. */
type Writer = (row: Row, out: Float64Array, json: Map<string, unknown>) => ValueError | undefined;

export type { FeatureProblem, FeatureRange } from './feature-ranges.js';
export { rangeProblem } from './feature-ranges.js';

/** Compiles a validated spec into a fast extractor. */
export function compileFeatureSpec(spec: FeatureSpec): CompiledFeatureSpec {
  const featureNames = spec.features.flatMap((rule) =>
    rule.type === 'one-hot' ? rule.categories.map((c) => c.name) : [rule.name],
  );
  let offset = 0;
  const writers = spec.features.map((rule) => {
    const writer = compileRule(rule, offset);
    offset += rule.type === 'one-hot' ? rule.categories.length : 1;
    return { writer, field: rule.field };
  });
  const ranges: FeatureRange[] = [];
  for (const rule of spec.features) ranges.push(...rangesOf(rule, ranges.length));
  const fields = [
    ...new Set([
      spec.id.field,
      spec.label.field,
      ...spec.require.map((r) => r.field),
      ...(spec.division.field ? [spec.division.field] : []),
      ...spec.features.map((rule) => rule.field),
    ]),
  ];
  const labelOf = new Map<string, 0 | 1 | 'exclude'>([
    ...spec.label.positive.map((v) => [v.toLowerCase(), 1] as const),
    ...spec.label.negative.map((v) => [v.toLowerCase(), 0] as const),
    ...spec.label.exclude.map((v) => [v.toLowerCase(), 'exclude'] as const),
  ]);
  const labelWords = [...spec.label.positive, ...spec.label.negative].join(' | ');
  const allowedDivisions = new Set(spec.division.allowed);
  const divisionMap = new Map(
    Object.entries(spec.division.map ?? {}).map(([k, v]) => [k.trim().toLowerCase(), v]),
  );

  const toRow = (
    record: unknown,
    requireIdentity = true,
  ): { ok: true; row: Row } | { ok: false; rule: string; reason: string } => {
    if (spec.source === 'record') {
      const parsed = parseRawRecord(record, { requireIdentity });
      return parsed.ok
        ? { ok: true, row: parsed.record }
        : { ok: false, rule: parsed.field || 'record', reason: parsed.reason };
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      return { ok: false, rule: 'record', reason: `a row must be an object, got ${describeValue(record)}` };
    }
    return { ok: true, row: record as Row };
  };

  const computeInto = (row: Row): FeaturesResult => {
    const out = new Float64Array(featureNames.length);
    const json = new Map<string, unknown>();
    for (const { writer, field } of writers) {
      const value = row[field];
      if (typeof value === 'string' && value.length > MAX_FIELD_CHARS) {
        return {
          ok: false,
          rule: field,
          reason: `${field}: ${value.length} characters, more than the ${MAX_FIELD_CHARS} a field may hold`,
        };
      }
      const error = writer(row, out, json);
      if (error) return { ok: false, rule: field, reason: `${field}: ${error.reason}` };
    }
    return { ok: true, features: out };
  };

  const divisionOf = (row: Row): number | ValueError => {
    const value = spec.division.field ? row[spec.division.field] : undefined;
    if (isBlank(value)) return spec.division.default;
    let division: number | undefined;
    if (typeof value === 'string' && divisionMap.has(value.trim().toLowerCase())) {
      division = divisionMap.get(value.trim().toLowerCase());
    } else {
      const n =
        typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
      if (Number.isInteger(n)) division = n;
    }
    if (division === undefined || !allowedDivisions.has(division)) {
      return new ValueError(
        `expected one of divisions ${spec.division.allowed.join(', ')}, got ${describeValue(value)}`,
      );
    }
    return division;
  };

  return {
    spec,
    featureNames,
    hash: hashSpec(spec),
    fields,
    ranges,
    checkFeatures: (features) => checkFeatures(ranges, features),
    recordIdOf(record) {
      const converted = toRow(record, false);
      if (!converted.ok) return undefined;
      const id = converted.row[spec.id.field];
      return typeof id === 'string' || typeof id === 'number' ? String(id).trim() || undefined : undefined;
    },
    computeFeatures(record) {
      const converted = toRow(record, false);
      return converted.ok ? computeInto(converted.row) : converted;
    },
    computeDivision(record) {
      const converted = toRow(record, false);
      if (!converted.ok) return converted;
      const division = divisionOf(converted.row);
      return division instanceof ValueError
        ? { ok: false, rule: spec.division.field!, reason: `${spec.division.field}: ${division.reason}` }
        : { ok: true, division };
    },
    extract(record, unseen) {
      const converted = toRow(record);
      if (!converted.ok) return { status: 'invalid', rule: converted.rule, reason: converted.reason };
      const row = converted.row;
      if (unseen && unseen.size > 0)
        for (const field of unseen) if (!isBlank(row[field])) unseen.delete(field);

      const id = row[spec.id.field];
      if (isBlank(id) || (typeof id !== 'string' && typeof id !== 'number')) {
        return {
          status: 'invalid',
          rule: spec.id.field,
          reason: `${spec.id.field}: expected an id, got ${describeValue(id)}`,
        };
      }
      const labelValue = row[spec.label.field];
      if (isBlank(labelValue)) {
        return {
          status: 'invalid',
          rule: spec.label.field,
          reason: `${spec.label.field}: missing (expected ${labelWords})`,
        };
      }
      const word = String(labelValue).trim().toLowerCase();
      const label = labelOf.get(word);
      if (label === 'exclude') {
        return {
          status: 'excluded',
          rule: `${spec.label.field}=${word}`,
          reason: `${spec.label.field} "${word}" is excluded`,
        };
      }
      if (label === undefined) {
        return {
          status: 'invalid',
          rule: spec.label.field,
          reason: `${spec.label.field}: expected ${labelWords} (or an excluded value), got ${describeValue(labelValue)}`,
        };
      }
      for (const requirement of spec.require) {
        if (isBlank(row[requirement.field])) {
          return {
            status: 'excluded',
            rule: `no ${requirement.field}`,
            reason: `${requirement.field} is blank: ${requirement.reason}`,
          };
        }
      }
      const division = divisionOf(row);
      if (division instanceof ValueError) {
        return {
          status: 'invalid',
          rule: spec.division.field!,
          reason: `${spec.division.field}: ${division.reason}`,
        };
      }
      const features = computeInto(row);
      if (!features.ok) return { status: 'invalid', rule: features.rule, reason: features.reason };
      return {
        status: 'kept',
        row: { recordId: String(id).trim(), division, label, features: features.features },
      };
    },
  };
}

/** SHA-256 of the spec's canonical JSON, so formatting and key order do not matter. */
export function hashSpec(spec: FeatureSpec): string {
  return hashJson(spec);
}

function compileRule(rule: FeatureRule, offset: number): Writer {
  const { field } = rule;
  if (rule.type === 'one-hot') {
    const index = new Map<string, number>();
    let unknown = -1;
    rule.categories.forEach((category, i) => {
      if ('unknown' in category) unknown = offset + i;
      else for (const value of category.values) index.set(value.trim().toLowerCase(), offset + i);
    });
    const listed = rule.categories.flatMap((c) => ('values' in c ? c.values : [])).join(' | ');
    return (row, out) => {
      const value = row[field];
      const slot = isBlank(value) ? unknown : (index.get(String(value).trim().toLowerCase()) ?? unknown);
      if (slot < 0) return new ValueError(`expected one of ${listed}, got ${describeValue(value)}`);
      out[slot] = 1;
      return undefined;
    };
  }

  const missing = rule.missing;
  let parse: (value: unknown) => Parsed;
  switch (rule.type) {
    case 'days-since': {
      const reference = Date.parse(`${rule.reference}T00:00:00Z`);
      const { min, max, dates } = rangesOf(rule)[0]!;
      parse = (value) => {
        const ms = parseDate(value, rule.slashOrder);
        if (ms instanceof ValueError) return ms;
        const days = daysSince(ms, reference);
        if (days < min)
          return new ValueError(
            `${describeValue(value)} is before ${dates!.earliest}, the earliest date accepted`,
          );
        if (days > max)
          return new ValueError(
            `${describeValue(value)} is after ${dates!.latest}, the latest date accepted`,
          );
        return days;
      };
      break;
    }
    case 'number': {
      const units = Object.entries(rule.units)
        .map(([unit, factor]) => [unit.toLowerCase(), factor] as const)
        .sort((a, b) => b[0].length - a[0].length);
      const bounds = rangesOf(rule)[0]!;
      parse = (value) => bounded(parseNumber(value, units), bounds);
      break;
    }
    case 'flag':
      parse = parseFlag;
      break;
    case 'json-flag':
    case 'json-number': {
      const bounds = rangesOf(rule)[0]!;
      const read = rule.type === 'json-flag' ? parseFlag : (v: unknown) => bounded(parseNumber(v), bounds);
      return (row, out, json) => {
        const object = jsonObject(row[field], field, json);
        if (object instanceof ValueError && rule.malformed === 'invalid') return object;
        const value = object instanceof ValueError ? undefined : object?.[rule.key];
        if (isBlank(value)) {
          if (missing === undefined) return new ValueError(`key "${rule.key}" is missing`);
          out[offset] = missing;
          return undefined;
        }
        const parsed = read(value);
        if (parsed instanceof ValueError) return new ValueError(`key "${rule.key}": ${parsed.reason}`);
        out[offset] = parsed;
        return undefined;
      };
    }
  }
  return (row, out) => {
    const value = row[field];
    if (isBlank(value)) {
      if (missing === undefined) return new ValueError('missing (the spec gives no value for missing)');
      out[offset] = missing;
      return undefined;
    }
    const parsed = parse(value);
    if (parsed instanceof ValueError) return parsed;
    out[offset] = parsed;
    return undefined;
  };
}

function bounded(value: Parsed, range: FeatureRange): Parsed {
  if (value instanceof ValueError) return value;
  if (range.integer && !Number.isInteger(value))
    return new ValueError(`expected a whole number, got ${value}`);
  if (value < range.min) return new ValueError(`${value} is below the minimum ${range.min}`);
  if (value > range.max) return new ValueError(`${value} is above the maximum ${range.max}`);
  return value;
}

/** Parses a field holding a JSON object once per record, shared by all rules that read it. */
function jsonObject(
  value: unknown,
  field: string,
  cache: Map<string, unknown>,
): Row | undefined | ValueError {
  if (cache.has(field)) return cache.get(field) as Row | undefined | ValueError;
  let result: Row | undefined | ValueError;
  if (isBlank(value)) result = undefined;
  else if (typeof value === 'object' && !Array.isArray(value)) result = value as Row;
  else if (typeof value !== 'string')
    result = new ValueError(`expected a JSON object, got ${describeValue(value)}`);
  else {
    try {
      const parsed: unknown = JSON.parse(value);
      result =
        parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
          ? (parsed as Row)
          : new ValueError(`expected a JSON object, got ${describeValue(value)}`);
    } catch {
      result = new ValueError(`not valid JSON: ${describeValue(value)}`);
    }
  }
  cache.set(field, result);
  return result;
}
