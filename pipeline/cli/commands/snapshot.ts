import { type Command, Option } from 'commander';
import { compileFeatureSpec } from '../../features/compile-spec.js';
import { loadFeatureSpec } from '../../features/feature-spec.js';
import { createSnapshot, downloadLatestSnapshot, downloadSnapshot } from '../../ingestion/snapshot.js';
import { AtomicFile } from '../../io/AtomicFile.js';
import { defaultConfigPath } from '../../util/package-root.js';
import { withStoredData } from '../ingest-setup.js';
import { createOutput } from '../output.js';

interface SnapshotCliOptions {
  spec: string;
  get?: string;
  latest?: boolean;
  out?: string;
  json?: boolean;
}

export function registerSnapshot(program: Command): void {
  program
    .command('snapshot')
    .description(
      'Export the ML-ready table to a blob named by its content hash (prints the id), or --get one, or the --latest',
    )
    .option('--spec <file>', 'feature spec', defaultConfigPath('features.json'))
    .addOption(new Option('--get <id>', 'download this snapshot instead of creating one').conflicts('latest'))
    .option(
      '--latest',
      "download the newest snapshot made with --spec's features instead of creating one (reads only: a read-only SAS is enough)",
    )
    .option('--out <file>', 'with --get or --latest: the features CSV to write (default: <id>.csv)')
    .option('--json', 'print one JSON result on stdout')
    .action(async (opts: SnapshotCliOptions) => {
      const output = createOutput(Boolean(opts.json));
      await withStoredData(async (storage) => {
        if (opts.get || opts.latest) {
          const snapshot = opts.get
            ? await downloadSnapshot(storage.snapshots, opts.get)
            : await downloadLatestSnapshot(
                storage.snapshots,
                compileFeatureSpec(loadFeatureSpec(opts.spec)).hash,
              );
          const out = opts.out ?? `${snapshot.snapshotId}.csv`;
          await AtomicFile.write(out, snapshot.csv);
          output.result(
            { snapshotId: snapshot.snapshotId, out, rows: snapshot.rows, specHash: snapshot.specHash },
            () =>
              `wrote snapshot ${snapshot.snapshotId} (${snapshot.rows} rows, spec ${snapshot.specHash.slice(0, 12)}) to ${out}`,
          );
          return;
        }
        const result = await createSnapshot(storage, compileFeatureSpec(loadFeatureSpec(opts.spec)));
        output.result(result, () =>
          [
            result.snapshotId,
            `  ${result.rows} rows (${result.positives} positive), ${result.bytes} bytes, spec ${result.specHash.slice(0, 12)}${result.created ? '' : ' (already existed)'}`,
          ].join('\n'),
        );
      });
    });
}
