import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@actions/core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { currentGitSha } from '../../../model/bundle/provenance.js';
import { bundleDir, REPORT_FILE, writeTrainingOutput } from '../../../model/bundle/training-output.js';
import { loadTrainingData } from '../../../model/data/load-training-data.js';
import { createFitRunner } from '../../../model/parallel/WorkerPool.js';
import { requestedBackend, useBackend } from '../../../model/tf/backend.js';
import { formatMetricsTable } from '../../../model/training/format-report.js';
import { trainDivisions } from '../../../model/training/train-divisions.js';
import { loadTrainingConfig } from '../../../model/training-config.js';
import { loadDivisionsConfig } from '../../../pipeline/config/divisions-config.js';
import { compileFeatureSpec } from '../../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../../pipeline/features/feature-spec.js';
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
    const config = loadTrainingConfig(inputs.config);
    const divisions = loadDivisionsConfig(inputs.divisions);
    const spec = compileFeatureSpec(loadFeatureSpec(inputs.spec));
    const backend = await useBackend(requestedBackend(inputs.backend, config.training.backend), {
      announce: (line) => core.info(line),
    });
    const table = await loadTrainingData(inputs.data, spec);
    // Worker threads run build/model/parallel/fit-worker.js: workers > 1 needs `npm run build`.
    const runner = createFitRunner(inputs.workers, backend);
    let result: Awaited<ReturnType<typeof trainDivisions>>;
    try {
      const gitSha = currentGitSha();
      result = await trainDivisions({
        table,
        spec,
        config,
        divisions,
        which: inputs.division,
        runner,
        backend,
        ...(inputs.seed !== undefined ? { seed: inputs.seed } : {}),
        ...(gitSha ? { gitSha } : {}),
        onFitDone: (label) => core.info(`fit done: ${label}`),
      });
    } finally {
      await runner.close();
    }
    await writeTrainingOutput(inputs.out, result);
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
          ['backend', `${backend}, ${runner.concurrency} worker(s)`],
          ['seed', result.report.seed],
          ['seconds', seconds.toFixed(1)],
          ['output', inputs.out],
        ]),
        '',
        '```text',
        formatMetricsTable(result.report),
        '```',
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
