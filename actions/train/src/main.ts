import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@actions/core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { bundleDir, REPORT_FILE } from '../../../model/bundle/training-output.js';
import { formatMetricsTable } from '../../../model/training/format-report.js';
import { trainFromFiles } from '../../../model/training/train-from-files.js';
import { codeBlock } from '../../../pipeline/reports/markdown-escape.js';
import { failWith, keyValueTable, writeSummary } from '../../shared/outcome.js';
import { readInputs } from './inputs.js';

/** A file the bundler copies next to dist/index.js; present only when running bundled. */
const BUNDLED_WASM = 'tfjs-backend-wasm-simd.wasm';

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

/**
 * Bundled, the wasm backend cannot find its `.wasm` files next to its own module (it is
 * inlined into dist/index.js), so point it at the copies the bundler puts beside the bundle.
 * Unbundled (tests, local runs) the files are absent there and the backend finds its own.
 */
function useBundledWasm(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(here, BUNDLED_WASM))) setWasmPaths(`${here}/`);
}
