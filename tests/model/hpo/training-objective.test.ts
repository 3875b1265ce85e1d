import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Params } from '../../../model/hpo/distributions.js';
import type { TrialReporter } from '../../../model/hpo/objective.js';
import { MedianPruner } from '../../../model/hpo/pruner.js';
import { runStudy } from '../../../model/hpo/run-study.js';
import { parseSearchSpace } from '../../../model/hpo/search-space.js';
import { evaluateTrainingParams, trainingObjectiveModule } from '../../../model/hpo/training-objective.js';
import { hpoSplit } from '../../../model/hpo/training-split.js';
import { useBackend } from '../../../model/tf/backend.js';
import { isTrialPrunedError, TrialPrunedError } from '../../../pipeline/errors/TrialPrunedError.js';
import { generateSampleRecords } from '../../../pipeline/sources/sample-records.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';
import { sampleTable } from '../helpers/sample-table.js';
import { smallConfig } from '../helpers/synthetic.js';

const EPOCHS = 3;
const config = smallConfig({ maxEpochs: EPOCHS, patience: EPOCHS, batchSize: 128 });
const table = sampleTable(1500, 3);
const split = hpoSplit(table, config, 11);

/** A reporter that records what the objective reports and prunes at `pruneAt`. */
function recorder(pruneAt?: number) {
  const reported: { step: number; value: number }[] = [];
  let lastStep: number | undefined;
  const reporter: TrialReporter = {
    number: 0,
    async report(step, value) {
      reported.push({ step, value });
      lastStep = step;
      return step === pruneAt;
    },
    prune() {
      throw new TrialPrunedError(lastStep);
    },
  };
  return { reported, reporter };
}

beforeAll(async () => {
  await useBackend('wasm');
});

describe('hpoSplit', () => {
  it("keeps opp train's test rows out and splits the rest into training and validation rows", () => {
    // Rounded per class, as stratifiedHoldout does.
    expect(Math.abs(split.test.rows - table.rows * config.evaluation.testFraction)).toBeLessThanOrEqual(1);
    expect(split.train.rows + split.validation.rows + split.test.rows).toBe(table.rows);
    // The validation rows are one of `folds` folds of the non-test rows.
    expect(split.validation.rows).toBeCloseTo((table.rows - split.test.rows) / config.evaluation.folds, -1);
  });

  it("preprocesses the test rows with the training rows' preprocessor, as network input", () => {
    expect(split.test.features).toBe(split.train.features);
    expect(split.test.x.length).toBe(split.test.rows * split.test.features);
    expect(split.test.x.every(Number.isFinite)).toBe(true);
    // Standardised by the training rows' scaler: near zero mean, not the raw feature scale.
    const d = split.test.features;
    for (let c = 0; c < d; c++) {
      let sum = 0;
      for (let r = 0; r < split.test.rows; r++) sum += split.test.x[r * d + c]!;
      expect(Math.abs(sum / split.test.rows)).toBeLessThan(0.5);
    }
  });
});

describe('evaluateTrainingParams', () => {
  const params: Params = { hiddenUnits: 12, learningRate: 0.01, rebalancing: 'class-weight' };

  it('reports the validation AUC after every epoch and returns the best of them', async () => {
    const { reported, reporter } = recorder();
    const value = await evaluateTrainingParams(split, config, params, reporter);
    expect(reported.map((r) => r.step)).toEqual([1, 2, 3]);
    for (const r of reported) expect(r.value).toBeGreaterThan(0.5);
    expect(value).toBe(Math.max(...reported.map((r) => r.value)));
    // Same split and fit seed for every trial: the value depends on the parameters only.
    expect(await evaluateTrainingParams(split, config, params, recorder().reporter)).toBe(value);
  });

  it('stops training at the epoch the pruner says, by throwing TrialPrunedError', async () => {
    const { reported, reporter } = recorder(1);
    const error = await evaluateTrainingParams(split, config, params, reporter).catch((e: unknown) => e);
    expect(isTrialPrunedError(error)).toBe(true);
    expect(reported.map((r) => r.step)).toEqual([1]);
  });
});

describe('the training objective in worker threads', () => {
  it('runs in worker threads set up from its context, and the median pruner stops trials falling behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opp-training-objective-'));
    const data = join(dir, 'records.jsonl');
    writeFileSync(
      data,
      [...generateSampleRecords({ n: 1500, seed: 3 })].map((r) => JSON.stringify(r)).join('\n'),
    );
    const space = parseSearchSpace({
      parameters: {
        hiddenUnits: { type: 'int', low: 4, high: 16 },
        learningRate: { type: 'log-uniform', low: 1e-5, high: 0.05 },
      },
    });
    const result = await runStudy({
      name: 'training',
      space,
      direction: 'maximize',
      objective: trainingObjectiveModule({
        data,
        spec: defaultConfigPath('features.json'),
        config,
        seed: 11,
        backend: 'wasm',
      }),
      pruner: new MedianPruner({ startupTrials: 2 }),
      trials: 8,
      workers: 1,
      seed: 5,
    });
    expect(result.failed).toBe(0);
    expect(result.pruned).toBeGreaterThan(0);
    for (const t of result.trials) {
      if (t.state === 'complete') {
        expect(t.intermediate.map((v) => v.step)).toEqual([1, 2, 3]);
        expect(t.value).toBe(Math.max(...t.intermediate.map((v) => v.value)));
      } else expect(t.intermediate.length).toBeLessThan(EPOCHS);
    }
  });
});
