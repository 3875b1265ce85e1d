import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GENERAL_DIVISION } from '../../pipeline/config/divisions-config.js';
import { parseConfig } from '../../pipeline/config/load-config.js';
import { InputError } from '../../pipeline/errors/InputError.js';
import { AtomicFile } from '../../pipeline/io/AtomicFile.js';
import { type MetricsReport, MetricsReportSchema } from '../metrics-report.js';
import { Predictor } from '../Predictor.js';
import type { TrainDivisionsResult } from '../training/train-divisions.js';
import { assertFiniteModel } from './assert-finite-model.js';
import { HOLDOUT_FILE } from './holdout.js';
import { saveBundle } from './save-bundle.js';

/**
 * Layout of a training run's output folder:
 * - `<out>/metrics.json`: one metrics report for all models (the gate and PR comment read it);
 * - `<out>/holdout.json`: the record ids of each model's test rows (see `HoldoutSchema`), so
 *   another model can be scored on the same rows (`opp compare`);
 * - `<out>/<division>/`: a bundle per trained model (`0` is the general model); a division that
 *   fell back has no folder, and `metrics.json` says which model serves it.
 */
export const REPORT_FILE = 'metrics.json';

/** The bundle folder of a division inside a training output folder. */
export function bundleDir(out: string, division: number): string {
  return join(out, String(division));
}

/**
 * Writes every bundle, then the report (last, so a report always describes bundles that exist).
 * Every model is checked first, so a broken one leaves nothing written.
 * @throws NonFiniteModelError for a model with a non-finite weight or probe output.
 */
export async function writeTrainingOutput(out: string, result: TrainDivisionsResult): Promise<void> {
  for (const [division, contents] of result.bundles) assertFiniteModel(contents, bundleDir(out, division));
  for (const [division, contents] of result.bundles) await saveBundle(bundleDir(out, division), contents);
  if (result.holdout)
    await AtomicFile.write(join(out, HOLDOUT_FILE), `${JSON.stringify(result.holdout, null, 2)}\n`);
  await AtomicFile.write(join(out, REPORT_FILE), `${JSON.stringify(result.report, null, 2)}\n`);
}

/** Reads and validates `<out>/metrics.json`. */
export async function readTrainingReport(out: string): Promise<MetricsReport> {
  const file = join(out, REPORT_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(
      `${out}: not a training output folder (cannot read ${REPORT_FILE})`,
      file,
      undefined,
      {
        cause: error,
      },
    );
  }
  return parseConfig(text, MetricsReportSchema, file);
}

/**
 * Loads the predictor of every division in a training output folder: trained divisions get
 * their own bundle, fallback divisions the general model's.
 */
export async function loadDivisionPredictors(out: string): Promise<Map<number, Predictor>> {
  const report = await readTrainingReport(out);
  const predictors = new Map<number, Predictor>();
  for (const model of report.models) {
    if (model.status === 'trained')
      predictors.set(model.division, await Predictor.load(bundleDir(out, model.division)));
  }
  const general = predictors.get(GENERAL_DIVISION);
  for (const model of report.models) {
    if (model.status === 'fallback') {
      if (!general)
        throw new InputError(
          `${out}: division ${model.division} falls back to a general model that is not there`,
        );
      predictors.set(model.division, general);
    }
  }
  return predictors;
}
