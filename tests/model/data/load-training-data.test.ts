import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrainingData } from '../../../model/data/load-training-data.js';
import { compileFeatureSpec } from '../../../pipeline/features/compile-spec.js';
import { extractFeaturesFile } from '../../../pipeline/features/extract-file.js';
import { loadFeatureSpec } from '../../../pipeline/features/feature-spec.js';
import { generateSampleRecords } from '../../../pipeline/sources/sample-records.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';

const dir = mkdtempSync(join(tmpdir(), 'opp-data-'));
const records = join(dir, 'records.jsonl');
const features = join(dir, 'features.csv');
const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));

beforeAll(async () => {
  const lines = [...generateSampleRecords({ n: 400, seed: 3 })].map((r) => JSON.stringify(r));
  writeFileSync(records, `${lines.join('\n')}\n`);
  await extractFeaturesFile(spec, records, features);
});

describe('loadTrainingData', () => {
  it('reads records through the spec and a features CSV to the same rows', async () => {
    const fromRecords = await loadTrainingData(records, spec);
    const fromCsv = await loadTrainingData(features, spec);
    expect(fromRecords.featureNames).toEqual(spec.featureNames);
    expect(fromRecords.rows).toBeGreaterThan(100);
    expect(fromRecords.records!.read).toBe(400);
    expect(fromCsv.rows).toBe(fromRecords.rows);
    expect(fromCsv.x).toEqual(fromRecords.x);
    expect(fromCsv.labels).toEqual(fromRecords.labels);
    expect(fromCsv.division).toEqual(fromRecords.division);
    expect(fromCsv.snapshotId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a features CSV whose features differ from the spec', async () => {
    const file = join(dir, 'other.csv');
    writeFileSync(file, 'record_id,division,action_taken,a,b\nr1,0,1,1,2\n');
    await expect(loadTrainingData(file, spec)).rejects.toThrow(/do not match the feature spec/);
  });
});
