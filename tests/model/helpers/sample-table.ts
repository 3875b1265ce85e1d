import type { TrainingTable } from '../../../model/data/load-training-data.js';
import { compileFeatureSpec } from '../../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../../pipeline/features/feature-spec.js';
import { generateSampleRecords } from '../../../pipeline/sources/sample-records.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';

/** The default feature spec, compiled. */
export const defaultSpec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));

/** Sample records run through the default spec, as training reads them (no file needed). */
export function sampleTable(n: number, seed = 1): TrainingTable {
  const records = [...generateSampleRecords({ n, seed })];
  const recordIds: string[] = [];
  const division: number[] = [];
  const labels: number[] = [];
  const values: number[] = [];
  for (const record of records) {
    const result = defaultSpec.extract(record);
    if (result.status !== 'kept') continue;
    recordIds.push(result.row.recordId);
    division.push(result.row.division);
    labels.push(result.row.label);
    values.push(...result.row.features);
  }
  return {
    featureNames: [...defaultSpec.featureNames],
    rows: recordIds.length,
    recordIds,
    division: Int32Array.from(division),
    labels: Uint8Array.from(labels),
    x: Float32Array.from(values),
    snapshotId: `sample-${n}-${seed}`,
  };
}
