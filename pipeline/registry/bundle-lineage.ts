import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MetricsReportSchema } from '../../model/metrics-report.js';
import { RegistryError } from '../errors/RegistryError.js';
import { METRICS_FILE } from './internal/bundle-files.js';
import type { ModelLineage } from './model-registry.js';

/** Test-set metrics of the general model copied into the lineage (and so into Azure ML tags). */
export const LINEAGE_METRICS = ['auc', 'prAuc', 'f1', 'precision', 'recall', 'accuracy', 'brier'] as const;

/**
 * Lineage as the bundle's `metrics.json` states it: snapshot id, git sha, config and spec
 * hashes, and the general model's (division 0, else the first) test metrics.
 * @throws RegistryError when metrics.json is missing or does not match model/metrics-report.ts.
 */
export async function readBundleLineage(bundleDir: string): Promise<ModelLineage> {
  const file = join(bundleDir, METRICS_FILE);
  let report: unknown;
  try {
    report = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new RegistryError(`cannot read ${file}: ${(error as Error).message}`, undefined, undefined, {
      cause: error,
    });
  }
  const parsed = MetricsReportSchema.safeParse(report);
  if (!parsed.success)
    throw new RegistryError(`${file} does not match the metrics report schema: ${parsed.error.message}`);
  const r = parsed.data;
  const model = r.models.find((m) => m.division === 0) ?? r.models[0]!;
  const metrics: Record<string, number> = {};
  for (const name of LINEAGE_METRICS) if (model.test) metrics[name] = model.test[name];
  return {
    ...(r.snapshotId ? { snapshotId: r.snapshotId } : {}),
    ...(r.gitSha ? { gitSha: r.gitSha } : {}),
    configHash: r.configHash,
    specHash: r.specHash,
    ...(Object.keys(metrics).length > 0 ? { metrics } : {}),
  };
}
