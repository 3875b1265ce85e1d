import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parseConfig } from '../../pipeline/config/load-config.js';
import { InputError } from '../../pipeline/errors/InputError.js';
import { hashJson } from './provenance.js';

/**
 * The pinned hold-out rows of a training run (`<out>/holdout.json`): per division, the record
 * ids of the test rows its metrics were computed on. A trained division lists its own test
 * rows; a division that fell back lists the general model's test rows of that division (what
 * its fallback metrics used). `opp compare` scores another model on exactly these rows.
 */
export const HOLDOUT_FILE = 'holdout.json';

export const HOLDOUT_VERSION = 1;

export const DivisionHoldoutSchema = z.strictObject({
  division: z.number().int().min(0),
  name: z.string(),
  status: z.enum(['trained', 'fallback']),
  /** Record ids of the test rows, in the training data's row order. */
  recordIds: z.array(z.string()),
});

export const HoldoutSchema = z.strictObject({
  version: z.literal(HOLDOUT_VERSION),
  /** SHA-256 of the data file the rows come from (the metrics report's `snapshotId`). */
  snapshotId: z.string(),
  /** SHA-256 of `divisions` (see `holdoutId`): names this exact set of rows. */
  id: z.string(),
  divisions: z.array(DivisionHoldoutSchema),
});

export type DivisionHoldout = z.output<typeof DivisionHoldoutSchema>;
export type Holdout = z.output<typeof HoldoutSchema>;

/** The id of a set of hold-out rows: SHA-256 of the per-division record ids (canonical JSON). */
export function holdoutId(divisions: readonly DivisionHoldout[]): string {
  return hashJson(divisions.map((d) => ({ division: d.division, recordIds: d.recordIds })));
}

/** Builds a hold-out record (with its id) from per-division test record ids. */
export function createHoldout(snapshotId: string, divisions: readonly DivisionHoldout[]): Holdout {
  return { version: HOLDOUT_VERSION, snapshotId, id: holdoutId(divisions), divisions: [...divisions] };
}

/**
 * Reads and validates `<out>/holdout.json`.
 *
 * @throws InputError when the file is missing (an output from before hold-outs were recorded);
 *   ConfigError when it does not match the schema.
 */
export async function readHoldout(out: string): Promise<Holdout> {
  const file = join(out, HOLDOUT_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(
      `${out}: no ${HOLDOUT_FILE} (the training output does not record its hold-out rows; retrain it)`,
      file,
      undefined,
      { cause: error },
    );
  }
  return parseConfig(text, HoldoutSchema, file);
}
