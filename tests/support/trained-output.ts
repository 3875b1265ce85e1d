import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTrainingOutput } from '../../model/bundle/training-output.js';
import type { TrainingTable } from '../../model/data/load-training-data.js';
import { createSerialRunner } from '../../model/parallel/fit-runner.js';
import { useBackend } from '../../model/tf/backend.js';
import { trainDivisions } from '../../model/training/train-divisions.js';
import { loadDivisionsConfig } from '../../pipeline/config/divisions-config.js';
import { generateSampleRecords } from '../../pipeline/sources/sample-records.js';
import { defaultConfigPath } from '../../pipeline/util/package-root.js';
import { defaultSpec, sampleTable } from '../model/helpers/sample-table.js';
import { smallConfig } from '../model/helpers/synthetic.js';

/**
 * Trains a small general model and one division model on sample records and writes the
 * training output folder (metrics.json + bundles), as `opp train` does. A few seconds.
 */
export async function trainSmallOutput(seed = 5): Promise<string> {
  return trainSmallOutputOn(sampleTable(3000, seed));
}

/**
 * Trains the small models of `trainSmallOutput` on a given table (e.g. loaded from a records
 * file), with `trainingSeed` for splits and weights, and writes the training output folder.
 */
export async function trainSmallOutputOn(table: TrainingTable, trainingSeed?: number): Promise<string> {
  await useBackend('wasm');
  const out = mkdtempSync(join(tmpdir(), 'opp-trained-'));
  const config = smallConfig({ maxEpochs: 3 });
  const counts = new Map<number, number>();
  for (const d of table.division) counts.set(d, (counts.get(d) ?? 0) + 1);
  // Only the biggest division (besides the general model) gets a model of its own.
  config.divisions = {
    minRows: Math.max(...[...counts].filter(([d]) => d !== 0).map(([, n]) => n)),
    minPerClass: 10,
  };
  const result = await trainDivisions({
    table,
    spec: defaultSpec,
    config,
    divisions: loadDivisionsConfig(defaultConfigPath('divisions.json')),
    runner: createSerialRunner(),
    backend: 'wasm',
    bootstrapResamples: 20,
    ...(trainingSeed === undefined ? {} : { seed: trainingSeed }),
  });
  await writeTrainingOutput(out, result);
  return out;
}

/** Writes `n` sample records (JSONL) into a new temporary folder and returns the file. */
export function writeSampleRecords(n: number, seed: number): string {
  const file = join(mkdtempSync(join(tmpdir(), 'opp-records-')), 'records.jsonl');
  writeFileSync(file, [...generateSampleRecords({ n, seed })].map((r) => JSON.stringify(r)).join('\n'));
  return file;
}
