import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonLinesStudyStorage } from '../../../model/hpo/json-lines-study-storage.js';
import { MedianPruner } from '../../../model/hpo/pruner.js';
import { runStudy, type StudyProgress } from '../../../model/hpo/run-study.js';
import { branin, braninEpochsObjective, EPOCHS } from '../../../model/hpo/test-functions.js';
import type { TrialRecord } from '../../../model/hpo/trial.js';
import { median } from '../../../model/metrics/summary.js';
import { isStudyError } from '../../../pipeline/errors/StudyError.js';
import { PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';

// Workers run compiled code: `npm test` builds first (pretest).
const BUILT_FUNCTIONS = join(PACKAGE_ROOT, 'build', 'model', 'hpo', 'test-functions.js');
const dir = mkdtempSync(join(tmpdir(), 'opp-run-study-'));

describe('runStudy', () => {
  it('runs trials in worker threads, storing each with the objective value and reporting progress', async () => {
    const progress: StudyProgress[] = [];
    const result = await runStudy({
      name: 'workers',
      space: branin.space,
      objective: { module: BUILT_FUNCTIONS, exportName: 'braninObjective' },
      trials: 14,
      workers: 2,
      seed: 4,
      onProgress: (p) => progress.push(p),
    });
    expect(result.ran).toBe(14);
    expect(result.trials.map((t) => t.number)).toEqual([...Array(14).keys()]);
    for (const t of result.trials) expect(t.value).toBeCloseTo(branin.evaluate(t.params), 12);
    expect(progress.map((p) => p.finished)).toEqual([...Array(14).keys()].map((i) => i + 1));
    expect(progress.at(-1)!.best!.value).toBe(Math.min(...result.trials.map((t) => t.value!)));
  });

  it('gives parallel runs the same start-up trials as a serial run with the same seed', async () => {
    const common = { name: 'det', space: branin.space, trials: 14, seed: 21 };
    const serial = await runStudy({ ...common, objective: (params) => branin.evaluate(params) });
    const parallel = await runStudy({
      ...common,
      objective: { module: BUILT_FUNCTIONS, exportName: 'braninObjective' },
      workers: 2,
    });
    // Trials numbered below startupTrials (10) never depend on other trials; later ones depend on timing.
    expect(parallel.trials.slice(0, 10).map((t) => t.params)).toEqual(
      serial.trials.slice(0, 10).map((t) => t.params),
    );
  });

  it('stops asking for trials once its signal is aborted, keeping the finished ones', async () => {
    const controller = new AbortController();
    const result = await runStudy({
      name: 'abort',
      space: branin.space,
      objective: (params) => branin.evaluate(params),
      trials: 50,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.finished === 3) controller.abort();
      },
    });
    expect(result.ran).toBe(3);
    expect(result.trials).toHaveLength(3);
  });

  it('refuses an objective module without the named export before running any trial', async () => {
    const file = join(dir, 'bad-export.jsonl');
    const error = await runStudy({
      name: 'bad',
      space: branin.space,
      storage: new JsonLinesStudyStorage(file),
      objective: { module: BUILT_FUNCTIONS, exportName: 'noSuchObjective' },
      trials: 3,
      workers: 1,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStudyError(error)).toBe(true);
    expect((error as Error).message).toMatch(/no function export "noSuchObjective"/);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('fails the trial of a worker thread that dies, and carries on with a new thread', async () => {
    const result = await runStudy({
      name: 'crash',
      space: branin.space,
      objective: { module: BUILT_FUNCTIONS, exportName: 'crashingBraninObjective' },
      trials: 10,
      workers: 2,
      seed: 1,
    });
    expect(result.trials).toHaveLength(10);
    for (const t of result.trials) {
      if ((t.params.x1 as number) < 0)
        expect(t).toMatchObject({ state: 'failed', error: expect.stringMatching(/exited with code 3/) });
      else expect(t.state).toBe('complete');
    }
    expect(result.failed).toBeGreaterThan(0);
    expect(result.complete).toBeGreaterThan(0);
  });

  it('prunes exactly the trials whose best loss falls behind the median of earlier complete trials', async () => {
    const startupTrials = 4;
    const result = await runStudy({
      name: 'prune',
      space: branin.space,
      objective: braninEpochsObjective,
      trials: 30,
      seed: 2,
      pruner: new MedianPruner({ startupTrials }),
    });
    expect(result.pruned).toBeGreaterThan(5);
    expect(result.complete).toBeGreaterThan(startupTrials);
    // Serial run: the trials finished before trial n are those numbered below n.
    for (const trial of result.trials) {
      const earlier = result.trials.filter((t) => t.number < trial.number && t.state === 'complete');
      const behindAt = (step: number) => {
        if (earlier.length < startupTrials) return false;
        const best = Math.min(...trial.intermediate.filter((v) => v.step <= step).map((v) => v.value));
        return best > median(earlier.map((t: TrialRecord) => t.intermediate[step]!.value));
      };
      const steps = trial.intermediate.map((v) => v.step);
      if (trial.state === 'pruned') {
        expect(behindAt(steps.at(-1)!), `trial ${trial.number} pruned while ahead`).toBe(true);
        expect(steps.slice(0, -1).some(behindAt), `trial ${trial.number} pruned late`).toBe(false);
      } else {
        expect(trial.state).toBe('complete');
        expect(steps).toHaveLength(EPOCHS);
        expect(steps.some(behindAt), `trial ${trial.number} not pruned`).toBe(false);
      }
    }
  });

  it('prunes trials running in worker threads', async () => {
    const result = await runStudy({
      name: 'prune-workers',
      space: branin.space,
      objective: { module: BUILT_FUNCTIONS, exportName: 'braninEpochsObjective' },
      trials: 16,
      workers: 2,
      seed: 2,
      pruner: new MedianPruner({ startupTrials: 3 }),
    });
    // A pruned state only arises from the worker's objective stopping after a "prune" answer
    // (possibly at the last epoch).
    expect(result.pruned).toBeGreaterThan(0);
    for (const t of result.trials) {
      if (t.state === 'complete') expect(t.intermediate).toHaveLength(EPOCHS);
      else expect(t.state).toBe('pruned');
    }
  });

  it('resumes a killed study without repeating its finished trials', async () => {
    const file = join(dir, 'killed.jsonl');
    const total = 60;
    const script = `
      import { runStudy } from ${JSON.stringify(join(PACKAGE_ROOT, 'build/model/hpo/run-study.js'))};
      import { JsonLinesStudyStorage } from ${JSON.stringify(join(PACKAGE_ROOT, 'build/model/hpo/json-lines-study-storage.js'))};
      import { branin } from ${JSON.stringify(BUILT_FUNCTIONS)};
      await runStudy({ name: 'killed', space: branin.space, storage: new JsonLinesStudyStorage(${JSON.stringify(file)}),
        objective: { module: ${JSON.stringify(BUILT_FUNCTIONS)}, exportName: 'slowBraninObjective' }, trials: ${total}, workers: 2 });
    `;
    const scriptFile = join(dir, 'killed-study.mjs');
    writeFileSync(scriptFile, script);
    const child = spawn(process.execPath, [scriptFile], { stdio: 'ignore' });
    const trialLines = () => {
      try {
        return readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"kind":"trial"')).length;
      } catch {
        return 0;
      }
    };
    const exited = new Promise((resolve) => child.once('exit', resolve));
    while (trialLines() < 6) {
      if (child.exitCode !== null) throw new Error(`study process exited early (code ${child.exitCode})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await exited;
    const before = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l) as TrialRecord);
    expect(before.length).toBeGreaterThanOrEqual(6);
    expect(before.length).toBeLessThan(total);

    const resumed = await runStudy({
      name: 'killed',
      space: branin.space,
      storage: new JsonLinesStudyStorage(file),
      objective: { module: BUILT_FUNCTIONS, exportName: 'slowBraninObjective' },
      trials: total,
      workers: 2,
    });
    expect(resumed.ran).toBe(total - before.length);
    expect(resumed.trials).toHaveLength(total);
    expect(new Set(resumed.trials.map((t) => t.number)).size).toBe(total);
    for (const old of before) {
      expect(resumed.trials.find((t) => t.number === old.number)).toMatchObject({
        params: old.params,
        value: old.value,
      });
    }
  });
});
