import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetricsReport } from '../../model/metrics-report.js';
import type { GateConfig } from '../config/gate-config.js';
import type { ModelRegistry, ModelVersion } from '../registry/model-registry.js';
import { loadMetricsReport } from '../reports/load-reports.js';
import { evaluateGate, type GateResult } from './evaluate-gate.js';

/**
 * Re-checks the gate thresholds on the metrics.json registered with `model`, before any
 * traffic moves (`opp deploy` and the deploy action): a version registered under an older,
 * looser gate (or by hand) is refused by the caller (`assertGatePassed`) once it has shown why.
 * Non-regression is not re-checked here: the production version's registered metrics come
 * from other hold-out rows, so comparing them would not be like for like.
 *
 * @param tempRoot where the version is downloaded for the check (removed after).
 */
export async function recheckGate(
  registry: ModelRegistry,
  model: ModelVersion,
  gate: GateConfig,
  tempRoot: string = tmpdir(),
): Promise<{ report: MetricsReport; gate: GateResult }> {
  const dir = await mkdtemp(join(tempRoot, 'opp-deploy-gate-'));
  try {
    await registry.downloadVersion(model.name, model.version, dir);
    const report = loadMetricsReport(join(dir, 'metrics.json'));
    return { report, gate: evaluateGate(report, gate) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
