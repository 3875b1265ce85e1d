import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import type { GateConfig } from '../../../pipeline/config/gate-config.js';
import { assertGatePassed } from '../../../pipeline/gate/assert-gate.js';
import { evaluateGate } from '../../../pipeline/gate/evaluate-gate.js';
import type { ModelRegistry, ModelVersion } from '../../../pipeline/registry/model-registry.js';
import { loadMetricsReport } from '../../../pipeline/reports/load-reports.js';

/**
 * Re-checks the gate thresholds on the metrics.json registered with `model`, before any
 * traffic moves: a version registered under an older, looser gate (or by hand) is refused.
 * Non-regression is not re-checked here: the production version's registered metrics come
 * from other hold-out rows, so comparing them would not be like for like.
 *
 * @throws MetricsGateError listing every failing check.
 */
export async function recheckGate(
  registry: ModelRegistry,
  model: ModelVersion,
  gate: GateConfig,
): Promise<void> {
  const dir = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'opp-deploy-gate-'));
  try {
    await registry.downloadVersion(model.name, model.version, dir);
    const result = evaluateGate(loadMetricsReport(join(dir, 'metrics.json')), gate);
    core.setOutput('gate-passed', String(result.passed));
    assertGatePassed(result);
    core.info(`gate re-checked on ${model.name}:${model.version}: passed`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
