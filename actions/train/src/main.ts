import { join } from 'node:path';
import * as core from '@actions/core';
import { bundleDir, REPORT_FILE } from '../../../model/bundle/training-output.js';
import { trainFromFiles } from '../../../model/training/train-from-files.js';
import { renderTrainingSummary } from '../../../pipeline/reports/job-summary.js';
import { collectEpochs, trackTraining } from '../../../pipeline/tracking/record-training.js';
import { runUrlFromEnv } from '../../shared/github-env.js';
import { failWith, keyValueTable, writeSummary } from '../../shared/outcome.js';
import { useBundledWasm } from './bundled-wasm.js';
import { readInputs } from './inputs.js';

/** Trains the general and division models: bundles + metrics.json, outputs, job summary. */
export async function run(): Promise<void> {
  try {
    useBundledWasm();
    const inputs = readInputs();
    const started = performance.now();
    const epochs = collectEpochs();
    const { result, config, table, backend, workers } = await trainFromFiles({
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
      onEpoch: epochs.onEpoch,
      onFitDone: (label) => core.info(`fit done: ${label}`),
    });
    // Every training is a run, as with `opp train` (MLflow: $MLFLOW_TRACKING_URI, else
    // $OPP_HOME/mlruns); tracking problems are warnings, never a failed training.
    const tracked = await trackTraining(
      { report: result.report, config, out: inputs.out, epochs: epochs.logs },
      { onWarning: (warning) => core.warning(`tracking: ${warning}`) },
    );
    const seconds = (performance.now() - started) / 1000;
    const trained = [...result.bundles.keys()].sort((a, b) => a - b);
    core.setOutput('out', inputs.out);
    core.setOutput('metrics', join(inputs.out, REPORT_FILE));
    core.setOutput('trained-divisions', JSON.stringify(trained));
    core.setOutput('bundles', JSON.stringify(trained.map((d) => bundleDir(inputs.out, d))));
    core.setOutput('backend', backend);
    core.setOutput('seed', String(result.report.seed));
    core.setOutput('seconds', seconds.toFixed(1));
    core.setOutput('tracking', tracked.destination);
    // The same report sections as the metrics gate's, without a verdict: nothing is gated yet.
    await writeSummary(
      renderTrainingSummary(
        result.report,
        keyValueTable([
          ['data', inputs.data],
          ['rows', table.rows],
          ['backend', `${backend}, ${workers} worker(s)`],
          ['seed', result.report.seed],
          ['seconds', seconds.toFixed(1)],
          ['output', inputs.out],
          ['tracking', tracked.destination],
        ]),
        { runUrl: runUrlFromEnv() },
      ),
    );
  } catch (error) {
    failWith(error);
  }
}
