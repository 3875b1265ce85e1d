import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import type { MetricsReport } from '../../../model/metrics-report.js';
import type { GateConfig } from '../../../pipeline/config/gate-config.js';
import { evaluateGate, type GateResult } from '../../../pipeline/gate/evaluate-gate.js';
import type { ModelRegistry, ModelVersion } from '../../../pipeline/registry/model-registry.js';
import { loadMetricsReport } from '../../../pipeline/reports/load-reports.js';

/**
 * Re-checks the gate thresholds on the metrics.json registered with `model`, before any
 * traffic moves: a version registered under an older, looser gate (or by hand) is refused by
 * the caller (`assertGatePassed`) once the job summary shows why.
 * Non-regression is not re-checked here: the production version's registered metrics come
 * from other hold-out rows, so comparing them would not be like for like.
 */
export async function recheckGate(
  registry: ModelRegistry,
  model: ModelVersion,
  gate: GateConfig,
): Promise<{ report: MetricsReport; gate: GateResult }> {
  const dir = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'opp-deploy-gate-'));
  try {
    await registry.downloadVersion(model.name, model.version, dir);
    const report = loadMetricsReport(join(dir, 'metrics.json'));
    const result = evaluateGate(report, gate);
    core.setOutput('gate-passed', String(result.passed));
    core.info(`gate re-checked on ${model.name}:${model.version}: ${result.passed ? 'passed' : 'failed'}`);
    return { report, gate: result };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
