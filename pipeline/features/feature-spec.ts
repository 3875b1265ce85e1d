import { z } from 'zod';
import { loadConfig } from '../config/load-config.js';

/**
 * The feature spec (`configs/features.json`): where each training example comes from in a
 * source record, and the ordered list of features computed from it. One spec describes one
 * kind of source; another company's export needs only another spec.
 */

const fieldName = z.string().min(1, 'must be a non-empty field name');
const featureName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case (a-z, 0-9, _), starting with a letter');

const common = {
  name: featureName,
  field: fieldName,
  /** Value used when the field is absent, null or blank; without it such a record is invalid. */
  missing: z.number().optional(),
  description: z.string().optional(),
};

const isoDate = z.iso.date('must be an ISO date such as 2020-01-01');

/**
 * The range of a numeric feature: finite `min` and `max` in the feature's unit (`min` < `max`).
 * Either may be left out; the compiled spec then uses {@link DEFAULT_NUMBER_RANGE}. Defaults are
 * applied when compiling, not here, so a spec written before ranges existed keeps its hash.
 */
const range = {
  /** Smallest value accepted (a finite number; zod refuses Infinity and NaN). */
  min: z.number().optional(),
  /** Largest value accepted. */
  max: z.number().optional(),
};
/** Range of a number or json-number feature whose spec gives no `min` or `max`. */
export const DEFAULT_NUMBER_RANGE = { min: -1e9, max: 1e9 } as const;
const minBelowMax = (rule: { min?: number | undefined; max?: number | undefined }) =>
  (rule.min ?? DEFAULT_NUMBER_RANGE.min) < (rule.max ?? DEFAULT_NUMBER_RANGE.max);
const MIN_BELOW_MAX = {
  message: `min must be below max (${DEFAULT_NUMBER_RANGE.min} and ${DEFAULT_NUMBER_RANGE.max} when left out)`,
  path: ['max'],
};
/** Dates a days-since feature accepts when its spec gives no `earliest` or `latest`. */
export const DEFAULT_DATE_RANGE = { earliest: '1900-01-01', latest: '2200-12-31' } as const;

const DaysSince = z
  .strictObject({
    ...common,
    type: z.literal('days-since'),
    /** ISO date (UTC) that is day 0. */
    reference: isoDate,
    /** How to read dd/dd/yyyy dates. */
    slashOrder: z.enum(['month-first', 'day-first']).default('month-first'),
    /** Earliest date accepted (UTC); default {@link DEFAULT_DATE_RANGE}. */
    earliest: isoDate.optional(),
    /** Latest date accepted (UTC, the whole day); default {@link DEFAULT_DATE_RANGE}. */
    latest: isoDate.optional(),
  })
  .refine(
    (rule) => (rule.earliest ?? DEFAULT_DATE_RANGE.earliest) < (rule.latest ?? DEFAULT_DATE_RANGE.latest),
    { message: 'earliest must be before latest', path: ['latest'] },
  );

const NumberFeature = z
  .strictObject({
    ...common,
    type: z.literal('number'),
    /** Unit suffixes accepted in text values and the factor that converts each to the feature's unit. */
    units: z.record(z.string().min(1), z.number().positive()).default({}),
    ...range,
    integer: z.boolean().default(false),
  })
  .refine(minBelowMax, MIN_BELOW_MAX);

const Flag = z.strictObject({ ...common, type: z.literal('flag') });

/** A key of a JSON object held in a field (as text, or already an object). */
const jsonKey = {
  key: z.string().min(1),
  /** What to do when the field holds text that is not a JSON object. */
  malformed: z.enum(['invalid', 'missing']).default('invalid'),
};
const JsonFlag = z.strictObject({ ...common, ...jsonKey, type: z.literal('json-flag') });
const JsonNumber = z
  .strictObject({
    ...common,
    ...jsonKey,
    type: z.literal('json-number'),
    ...range,
    integer: z.boolean().default(false),
  })
  .refine(minBelowMax, MIN_BELOW_MAX);

const Category = z.union([
  z.strictObject({ name: featureName, values: z.array(z.string().min(1)).min(1) }),
  z.strictObject({ name: featureName, unknown: z.literal(true) }),
]);

const OneHot = z
  .strictObject({
    type: z.literal('one-hot'),
    field: fieldName,
    description: z.string().optional(),
    /** Output columns in order; one may be the `unknown` bucket for blank or unlisted values. */
    categories: z.array(Category).min(1),
  })
  .refine((f) => f.categories.filter((c) => 'unknown' in c).length <= 1, {
    message: 'at most one category may be the unknown bucket',
    path: ['categories'],
  });

export const FeatureRuleSchema = z.discriminatedUnion('type', [
  DaysSince,
  NumberFeature,
  Flag,
  JsonFlag,
  JsonNumber,
  OneHot,
]);

export const FeatureSpecSchema = z
  .strictObject({
    $schema: z.string().optional(),
    description: z.string().optional(),
    /**
     * `record`: records from the record API, whose field aliases are resolved first
     * (pipeline/records/raw-record.ts). `table`: flat rows (CSV or JSON) read by column name.
     */
    source: z.enum(['record', 'table']),
    id: z.strictObject({ field: fieldName }),
    label: z.strictObject({
      field: fieldName,
      positive: z.array(z.string().min(1)).min(1),
      negative: z.array(z.string().min(1)).min(1),
      /** Values whose records are left out on purpose (not an error). */
      exclude: z.array(z.string().min(1)).default([]),
    }),
    /** Fields that must be non-blank for a record to be a training example, and why. */
    require: z.array(z.strictObject({ field: fieldName, reason: z.string().min(1) })).default([]),
    division: z.strictObject({
      field: fieldName.optional(),
      /** Division of records whose division field is absent or blank. */
      default: z.number().int().min(0),
      /** Division ids a record may have (configs/divisions.json). */
      allowed: z.array(z.number().int().min(0)).min(1),
      /** Text values mapped to division ids, for sources that name divisions. */
      map: z.record(z.string(), z.number().int().min(0)).optional(),
    }),
    features: z.array(FeatureRuleSchema).min(1),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.features.forEach((rule, i) => {
      const names = rule.type === 'one-hot' ? rule.categories.map((c) => c.name) : [rule.name];
      for (const name of names) {
        if (seen.has(name))
          ctx.addIssue({
            code: 'custom',
            path: ['features', i],
            message: `duplicate feature name "${name}"`,
          });
        seen.add(name);
      }
    });
    const labelValues = [...spec.label.positive, ...spec.label.negative, ...spec.label.exclude].map((v) =>
      v.toLowerCase(),
    );
    const repeated = labelValues.find((v, i) => labelValues.indexOf(v) !== i);
    if (repeated)
      ctx.addIssue({ code: 'custom', path: ['label'], message: `value "${repeated}" is listed twice` });
    if (!spec.division.allowed.includes(spec.division.default)) {
      ctx.addIssue({
        code: 'custom',
        path: ['division', 'default'],
        message: 'must be one of division.allowed',
      });
    }
  });

export type FeatureSpec = z.output<typeof FeatureSpecSchema>;
export type FeatureRule = z.output<typeof FeatureRuleSchema>;

/** Loads and validates a feature spec file. @throws ConfigError naming the file and JSON path. */
export function loadFeatureSpec(file: string): FeatureSpec {
  return loadConfig(file, FeatureSpecSchema);
}
