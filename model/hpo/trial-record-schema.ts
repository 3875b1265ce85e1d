import { z } from 'zod';

const Value = z.union([z.string(), z.number(), z.boolean()]);

/** A stored {@link TrialRecord} (JSON), checked when a study is read back from any storage. */
export const TrialRecordSchema = z.strictObject({
  number: z.number().int().min(0),
  state: z.enum(['complete', 'pruned', 'failed']),
  params: z.record(z.string(), Value),
  value: z.number().optional(),
  intermediate: z.array(z.strictObject({ step: z.number(), value: z.number() })),
  startedAt: z.string(),
  finishedAt: z.string(),
  error: z.string().optional(),
});
