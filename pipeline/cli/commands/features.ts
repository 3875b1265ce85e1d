import type { Command } from 'commander';
import { compileFeatureSpec } from '../../features/compile-spec.js';
import { extractFeaturesFile } from '../../features/extract-file.js';
import { loadFeatureSpec } from '../../features/feature-spec.js';
import { defaultConfigPath } from '../../util/package-root.js';
import { createOutput, formatCounts } from '../output.js';
import { createProgress } from '../progress.js';

export function registerFeatures(program: Command): void {
  program
    .command('features')
    .description('Turn source records (JSONL or CSV) into ML-ready rows (CSV) with a feature spec')
    .requiredOption('--in <file>', 'records: .jsonl/.ndjson (record API form) or .csv (an export)')
    .requiredOption(
      '--out <file>',
      'features CSV to write: record_id, division, action_taken, then the features',
    )
    .option('--spec <file>', 'feature spec', defaultConfigPath('features.json'))
    .option(
      '--rejects <file>',
      'where to write invalid records with their reasons (default: <out>.rejects.jsonl)',
    )
    .option('--json', 'print one JSON result on stdout')
    .action(async (opts: { in: string; out: string; spec: string; rejects?: string; json?: boolean }) => {
      const output = createOutput(Boolean(opts.json));
      const spec = compileFeatureSpec(loadFeatureSpec(opts.spec));
      const rejects = opts.rejects ?? `${opts.out.replace(/\.csv$/i, '')}.rejects.jsonl`;
      const progress = createProgress('features', 0);
      let result: Awaited<ReturnType<typeof extractFeaturesFile>>;
      try {
        result = await extractFeaturesFile(spec, opts.in, opts.out, {
          rejects,
          specName: opts.spec,
          onProgress: (read) => progress.update(read),
        });
      } finally {
        progress.stop();
      }
      const rate = Math.round(result.read / Math.max(result.seconds, 1e-9));
      output.result({ ...result, spec: opts.spec, features: spec.featureNames, recordsPerSecond: rate }, () =>
        [
          `read ${result.read} records from ${result.input} in ${result.seconds.toFixed(2)} s (${rate.toLocaleString('en-US')}/s)`,
          `  kept      ${String(result.kept).padStart(8)}  → ${result.out} (${spec.featureNames.length} features, ${result.positives} positive = ${pct(result.positives, result.kept)})`,
          `  excluded  ${String(result.excluded).padStart(8)}`,
          formatCounts(result.excludedBy),
          `  invalid   ${String(result.invalid).padStart(8)}${result.rejects ? `  → ${result.rejects}` : ''}`,
          formatCounts(result.invalidBy),
          `  spec ${opts.spec} (sha256 ${spec.hash.slice(0, 12)})`,
        ]
          .filter((line) => line !== '')
          .join('\n'),
      );
    });
}

function pct(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${((100 * part) / whole).toFixed(1)}%`;
}
