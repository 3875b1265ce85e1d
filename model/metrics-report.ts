import { z } from 'zod';

/**
 * The metrics report (`metrics.json`): the one file the gate, the PR comment and the job
 * summary read. Training writes it into each bundle and beside a multi-division run.
 * Version it: readers check `version` and refuse reports they do not know.
 */

export const METRICS_REPORT_VERSION = 1;

const ratio = z.number().min(0).max(1);

/**
 * A full commit SHA: 40 lower-case hex digits. Reports from a pull request's run are written by
 * its code and rendered into PR comments, so free text is refused where a SHA belongs.
 */
export const GitShaSchema = z
  .string()
  .regex(/^[0-9a-f]{40}$/, 'expected a 40-digit lower-case hex commit SHA');

/**
 * An identifier or hash (snapshot ids, content hashes, backend names): 1 to 128 letters, digits
 * and `_ . : + = -`; no spaces, markup or line breaks.
 */
export const IdSchema = z
  .string()
  .regex(/^[\w.:+=-]{1,128}$/, 'expected an id: 1 to 128 letters, digits and _ . : + = -');

export const ConfusionSchema = z.strictObject({
  tp: z.number().int().min(0),
  fp: z.number().int().min(0),
  tn: z.number().int().min(0),
  fn: z.number().int().min(0),
});

/** Threshold-free and thresholded metrics of one set of scored rows. */
export const MetricSetSchema = z.strictObject({
  n: z.number().int().min(0),
  positives: z.number().int().min(0),
  accuracy: ratio,
  precision: ratio,
  recall: ratio,
  f1: ratio,
  auc: ratio,
  prAuc: ratio,
  brier: ratio,
  logLoss: z.number().min(0),
  /** The decision threshold the thresholded metrics used. */
  threshold: ratio,
  confusion: ConfusionSchema,
});

export const CurvesSchema = z.strictObject({
  /** ROC points from (0,0) to (1,1), thinned to at most ~100 points. */
  roc: z.array(z.strictObject({ fpr: ratio, tpr: ratio })),
  /** Reliability bins: mean predicted probability vs observed positive rate. */
  calibration: z.array(z.strictObject({ predicted: ratio, observed: ratio, count: z.number().int().min(0) })),
});

export const IntervalSchema = z.strictObject({
  low: z.number(),
  high: z.number(),
  level: z.number().gt(0).lt(1),
});

export const MetricNames = [
  'accuracy',
  'precision',
  'recall',
  'f1',
  'auc',
  'prAuc',
  'brier',
  'logLoss',
] as const;
export type MetricName = (typeof MetricNames)[number];

const metricRecord = z.strictObject(
  Object.fromEntries(MetricNames.map((m) => [m, z.number()])) as Record<MetricName, z.ZodNumber>,
);

export const ModelReportSchema = z.strictObject({
  division: z.number().int().min(0),
  /** Division name from configs/divisions.json. */
  name: z.string(),
  /** `trained`: a model of its own; `fallback`: too little data, the general model serves it. */
  status: z.enum(['trained', 'fallback']),
  fallbackReason: z.string().optional(),
  rows: z.strictObject({
    train: z.number().int().min(0),
    test: z.number().int().min(0),
    trainPositives: z.number().int().min(0),
    testPositives: z.number().int().min(0),
  }),
  rebalancing: z.strictObject({
    method: z.enum(['none', 'class-weight', 'oversample']),
    /** Class counts of the training rows before and after rebalancing (weights count as rows). */
    before: z.strictObject({ positives: z.number().min(0), negatives: z.number().min(0) }),
    after: z.strictObject({ positives: z.number().min(0), negatives: z.number().min(0) }),
    /** Added (optional): mean ± std fold AUC of each method tried when the config says `auto`. */
    candidates: z
      .array(
        z.strictObject({
          method: z.enum(['none', 'class-weight', 'oversample']),
          cvAuc: z.number(),
          cvAucStd: z.number(),
        }),
      )
      .optional(),
  }),
  /**
   * Added (optional): the columns the final model encodes into bins (`training.inputEncoding`),
   * and with `auto`, the mean ± std fold AUC without and with them.
   */
  inputEncoding: z
    .strictObject({
      columns: z.array(z.string()),
      candidates: z
        .array(
          z.strictObject({
            encoding: z.enum(['none', 'piecewise-linear']),
            cvAuc: z.number(),
            cvAucStd: z.number(),
          }),
        )
        .optional(),
    })
    .optional(),
  threshold: ratio,
  epochs: z.number().int().min(0),
  /** Added (optional): the best epoch of each CV fold; `epochs` is their rounded mean. */
  cvBestEpochs: z.array(z.number().int().min(1)).optional(),
  cv: z
    .strictObject({
      folds: z.array(MetricSetSchema),
      mean: metricRecord,
      std: metricRecord,
    })
    .optional(),
  test: MetricSetSchema.optional(),
  curves: CurvesSchema.optional(),
  /** Bootstrap interval of the test AUC. */
  aucInterval: IntervalSchema.optional(),
  /** Added (optional): training speed of the final fit, rows per second. */
  samplesPerSecond: z.number().min(0).optional(),
});

export const MetricsReportSchema = z.strictObject({
  version: z.literal(METRICS_REPORT_VERSION),
  createdAt: z.iso.datetime(),
  gitSha: GitShaSchema.optional(),
  snapshotId: IdSchema.optional(),
  specHash: IdSchema,
  configHash: IdSchema,
  seed: z.number().int(),
  /** The fits' seed (`training.fitSeed`, `--fit-seed`), when not `seed`; the hold-out split follows `seed`. */
  fitSeed: z.number().int().optional(),
  backend: IdSchema,
  models: z.array(ModelReportSchema).min(1),
});

export type MetricSet = z.output<typeof MetricSetSchema>;
export type Curves = z.output<typeof CurvesSchema>;
export type ModelReport = z.output<typeof ModelReportSchema>;
export type MetricsReport = z.output<typeof MetricsReportSchema>;
