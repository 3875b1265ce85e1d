import { join } from 'node:path';
import * as core from '@actions/core';
import { bundleDir, REPORT_FILE } from '../../../model/bundle/training-output.js';
import { formatMetricsTable } from '../../../model/training/format-report.js';
import { trainFromFiles } from '../../../model/training/train-from-files.js';
import { codeBlock } from '../../../pipeline/reports/markdown-escape.js';
import { failWith, keyValueTable, writeSummary } from '../../shared/outcome.js';
import { useBundledWasm } from './bundled-wasm.js';
import { readInputs } from './inputs.js';

/** Trains the general and division models: bundles + metrics.json, outputs, job summary. */
export async function run(): Promise<void> {
  try {
    useBundledWasm();
    const inputs = readInputs();
    const started = performance.now();
    const { result, table, backend, workers } = await trainFromFiles({
      data: inputs.data,
      out: inputs.out,
      config: inputs.config,
      divisions: inputs.divisions,
      spec: inputs.spec,
      which: inputs.division,
      workers: inputs.workers,
      backend: inputs.backend,
      seed: inputs.seed,
      announce: (line) => core.info(line),
      onFitDone: (label) => core.info(`fit done: ${label}`),
    });
    const seconds = (performance.now() - started) / 1000;
    const trained = [...result.bundles.keys()].sort((a, b) => a - b);
    core.setOutput('out', inputs.out);
    core.setOutput('metrics', join(inputs.out, REPORT_FILE));
    core.setOutput('trained-divisions', JSON.stringify(trained));
    core.setOutput('bundles', JSON.stringify(trained.map((d) => bundleDir(inputs.out, d))));
    core.setOutput('backend', backend);
    core.setOutput('seed', String(result.report.seed));
    core.setOutput('seconds', seconds.toFixed(1));
    await writeSummary(
      [
        '## opp train',
        '',
        keyValueTable([
          ['data', inputs.data],
          ['rows', table.rows],
          ['backend', `${backend}, ${workers} worker(s)`],
          ['seed', result.report.seed],
          ['seconds', seconds.toFixed(1)],
          ['output', inputs.out],
        ]),
        '',
        codeBlock(formatMetricsTable(result.report), 'text'),
        '',
      ].join('\n'),
    );
  } catch (error) {
    failWith(error);
  }
}
