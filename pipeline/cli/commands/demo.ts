import type { Command } from 'commander';
import { compileFeatureSpec } from '../../features/compile-spec.js';
import { extractFeaturesFile } from '../../features/extract-file.js';
import { loadFeatureSpec } from '../../features/feature-spec.js';
import { AtomicFile } from '../../io/AtomicFile.js';
import { generateSampleRecords } from '../../sources/sample-records.js';
import { oppPath } from '../../util/opp-home.js';
import { defaultConfigPath } from '../../util/package-root.js';
import { wholeNumber } from '../options.js';
import { createOutput } from '../output.js';
import { createProgress } from '../progress.js';

/**
 * The whole pipeline on embedded defaults, with no cloud account. For now: sample source →
 * features; each later step joins here as it lands.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the pipeline end to end on the bundled sample source (state under $OPP_HOME, default ./.opp)',
    )
    .option('--n <count>', 'sample records to generate', wholeNumber(100), 50_000)
    .option('--seed <n>', 'random seed', wholeNumber(0), 1)
    .option('--json', 'print one JSON result on stdout')
    .action(async (opts: { n: number; seed: number; json?: boolean }) => {
      const output = createOutput(Boolean(opts.json));
      const records = oppPath('demo', 'records.jsonl');
      const features = oppPath('demo', 'features.csv');

      output.note(`1/2 sample source: ${opts.n} records (seed ${opts.seed}) → ${records}`);
      const progress = createProgress('sample', opts.n);
      const file = await AtomicFile.create(records);
      try {
        let i = 0;
        for (const record of generateSampleRecords({ n: opts.n, seed: opts.seed })) {
          await file.write(`${JSON.stringify(record)}\n`);
          if (++i % 5000 === 0) progress.update(i);
        }
        progress.update(opts.n);
        await file.commit();
      } catch (error) {
        await file.abort();
        throw error;
      } finally {
        progress.stop();
      }

      output.note(`2/2 features: ${records} → ${features}`);
      const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));
      const result = await extractFeaturesFile(spec, records, features, {
        rejects: oppPath('demo', 'rejects.jsonl'),
      });
      output.result({ records, features: result }, () =>
        [
          `records   ${records}`,
          `features  ${features}: ${result.kept} rows (${result.positives} positive), ${result.excluded} excluded, ${result.invalid} invalid${result.rejects ? ` (${result.rejects})` : ''}`,
        ].join('\n'),
      );
    });
}
