import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { BundleFiles } from '../../../model/bundle/bundle-manifest.js';
import { loadDivisionPredictors, REPORT_FILE } from '../../../model/bundle/training-output.js';
import { Predictor, type Score } from '../../../model/Predictor.js';
import { GENERAL_DIVISION } from '../../config/divisions-config.js';
import { InputError } from '../../errors/InputError.js';
import { isFeaturesCsvHeader, readFeaturesCsv } from '../../features/read-features-csv.js';
import { AtomicFile } from '../../io/AtomicFile.js';
import { openRecordFile } from '../../io/read-records.js';
import { wholeNumber } from '../options.js';
import { createOutput } from '../output.js';

interface PredictOptions {
  model: string;
  in: string;
  out?: string;
  division?: number;
  json?: boolean;
}

/**
 * Loads what `--model` names: one bundle folder, or a training output folder (then each
 * division gets its model, fallbacks the general one).
 */
async function loadPredictors(dir: string): Promise<Map<number, Predictor>> {
  if (existsSync(join(dir, BundleFiles.manifest))) {
    const predictor = await Predictor.load(dir);
    return new Map([[predictor.manifest.division, predictor]]);
  }
  if (existsSync(join(dir, REPORT_FILE))) return loadDivisionPredictors(dir);
  throw new InputError(
    `${dir}: neither a model bundle (${BundleFiles.manifest}) nor a training output (${REPORT_FILE})`,
  );
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('Score records or a features CSV with a model bundle (or a training output folder)')
    .requiredOption(
      '--model <dir>',
      'a bundle folder, or an `opp train` output folder (routes rows by division)',
    )
    .requiredOption(
      '--in <file>',
      'features CSV (routed by its division column) or records .jsonl/.ndjson/.csv',
    )
    .option(
      '--out <file>',
      'JSONL of scores to write (default: stdout); an invalid row gets {line, record_id, error}',
    )
    .option('--division <n>', "score every row with this division's model", wholeNumber(0))
    .option('--json', 'print one JSON summary on stdout (needs --out)')
    .action(async (opts: PredictOptions) => {
      const output = createOutput(Boolean(opts.json));
      if (opts.json && !opts.out)
        throw new InputError('--json needs --out: the scores and the summary cannot share stdout');
      const predictors = await loadPredictors(opts.model);
      const pick = (division: number): Predictor => {
        const wanted = opts.division ?? division;
        const predictor =
          predictors.get(wanted) ?? predictors.get(GENERAL_DIVISION) ?? [...predictors.values()][0]!;
        return predictor;
      };
      const lines: string[] = [];
      let positives = 0;
      let invalid = 0;
      /** One output line: the row's identity, the division whose model scored it, the score. */
      const emit = (fields: Record<string, unknown>, score: Score, model: number) => {
        positives += score.prediction;
        lines.push(JSON.stringify({ ...fields, model, ...score }));
      };
      /**
       * One bad row must not sink the batch: it gets an error line naming its line and record id
       * (when it has one), and is counted.
       */
      const reject = (line: number, recordId: string | undefined, error: string) => {
        invalid++;
        lines.push(
          JSON.stringify({ line, ...(recordId !== undefined ? { record_id: recordId } : {}), error }),
        );
      };
      /** Scores one row, or rejects it when the model refuses it (e.g. outside its input transform's domain). */
      const score = (predictor: Predictor, features: ArrayLike<number>, line: number, recordId?: string) => {
        let result: Score;
        try {
          result = predictor.scoreFeatures(features);
        } catch (error) {
          if (!(error instanceof InputError)) throw error;
          reject(line, recordId, error.message.replace(/^row 1: /, ''));
          return undefined;
        }
        return result;
      };
      const source = await openRecordFile(opts.in);
      if (source.columns && isFeaturesCsvHeader(source.columns)) {
        const table = await readFeaturesCsv(opts.in);
        const d = table.featureNames.length;
        for (let r = 0; r < table.rows; r++) {
          const predictor = pick(table.division[r]!);
          if (table.featureNames.join(',') !== predictor.featureNames.join(',')) {
            throw new InputError(
              `${opts.in}:1: its features (${table.featureNames.join(',')}) do not match the model's (${predictor.featureNames.join(',')})`,
              opts.in,
              1,
            );
          }
          const row = table.x.subarray(r * d, r * d + d);
          const line = table.lines[r]!;
          const recordId = table.recordIds[r]!;
          // The same ranges /score and training enforce.
          const problem = predictor.spec.checkFeatures(row);
          if (problem) {
            reject(line, recordId, `${problem.name}: ${problem.reason}`);
            continue;
          }
          const scored = score(predictor, row, line, recordId);
          if (scored)
            emit({ record_id: recordId, division: table.division[r] }, scored, predictor.manifest.division);
        }
      } else {
        // Raw records carry no label and may carry no division: one model scores them all.
        const predictor = pick(opts.division ?? GENERAL_DIVISION);
        for await (const { line, value } of source.rows) {
          const result = predictor.spec.computeFeatures(value);
          const recordId = predictor.spec.recordIdOf(value);
          if (!result.ok) {
            reject(line, recordId, result.reason);
            continue;
          }
          const scored = score(predictor, result.features, line, recordId);
          if (scored) emit({ line }, scored, predictor.manifest.division);
        }
      }
      const text = lines.length > 0 ? `${lines.join('\n')}\n` : '';
      if (opts.out) await AtomicFile.write(opts.out, text);
      else process.stdout.write(text);
      if (opts.out || opts.json) {
        const scored = lines.length - invalid;
        output.result(
          { scored, invalid, positives, out: opts.out },
          () => `scored ${scored} rows (${positives} predicted positive, ${invalid} invalid) → ${opts.out}`,
        );
      }
    });
}
