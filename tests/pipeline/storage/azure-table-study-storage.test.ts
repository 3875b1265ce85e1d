import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Params, SearchSpace } from '../../../model/hpo/distributions.js';
import { runStudy } from '../../../model/hpo/run-study.js';
import { Study } from '../../../model/hpo/study.js';
import { isStudyError } from '../../../pipeline/errors/StudyError.js';
import { AzureTableStudyStorage, trialRowKey } from '../../../pipeline/storage/azure-table-study-storage.js';
import { uniquePrefix, useAzurite } from '../../support/azurite.js';

const space: SearchSpace = {
  params: [
    { name: 'x', distribution: { type: 'float', low: -2, high: 2, log: false } },
    { name: 'kind', distribution: { type: 'categorical', choices: ['a', 'b'] } },
  ],
};
/** Awaits, so trials of the two "machines" interleave as on real machines. */
const objective = async (p: Params) => {
  await sleep(2);
  return (p.x as number) ** 2 + (p.kind === 'a' ? 0 : 1);
};

describe('AzureTableStudyStorage', () => {
  const azurite = useAzurite();
  const storage = (table: string) =>
    AzureTableStudyStorage.fromConnectionString(azurite.instance.connectionString, table);

  it('lets two machines share one study: no trial number claimed twice, the total run between them', async () => {
    const table = `${uniquePrefix()}studies`;
    const total = 16;
    const ranBy = { a: [] as number[], b: [] as number[] };
    const machine = (name: 'a' | 'b', seed: number) =>
      runStudy({
        name: 'shared',
        space,
        storage: storage(table),
        seed,
        objective,
        trials: total,
        workers: 2,
        onProgress: (p) => ranBy[name].push(p.last.number),
      });
    const [a, b] = await Promise.all([machine('a', 1), machine('b', 2)]);
    expect(ranBy.a.length).toBeGreaterThan(0);
    expect(ranBy.b.length).toBeGreaterThan(0);
    expect(ranBy.a.filter((n) => ranBy.b.includes(n))).toEqual([]);
    const stored = await Study.open({ name: 'shared', space, storage: storage(table) });
    const numbers = stored.trials.map((t) => t.number);
    expect(numbers).toEqual([...ranBy.a, ...ranBy.b].sort((x, y) => x - y));
    expect(new Set(numbers).size).toBe(numbers.length);
    // Each machine stops once the shared study is full; at most the other's 2 running trials over.
    expect(numbers.length).toBeGreaterThanOrEqual(total);
    expect(numbers.length).toBeLessThanOrEqual(total + 2);
    expect(a.ran + b.ran).toBe(numbers.length);
  });

  it('resumes a killed study without repeating finished trials, skipping the numbers it left running', async () => {
    const table = `${uniquePrefix()}studies`;
    const killed = await Study.open({ name: 'resume', space, storage: storage(table), seed: 3 });
    for (let i = 0; i < 3; i++) {
      const t = await killed.ask();
      await killed.tell(t.number, { state: 'complete', value: await objective(t.params) });
    }
    const leftRunning = await killed.ask(); // the process dies here: its row stays `running`
    const seen: number[] = [];
    const resumed = await runStudy({
      name: 'resume',
      space,
      storage: storage(table),
      seed: 3,
      objective: async (p, trial) => {
        seen.push(trial.number);
        return objective(p);
      },
      trials: 6,
    });
    expect(leftRunning.number).toBe(3);
    expect(resumed.ran).toBe(3);
    expect(seen).toEqual([4, 5, 6]);
    expect(resumed.trials.map((t) => t.number)).toEqual([0, 1, 2, 4, 5, 6]);
    expect(resumed.trials.slice(0, 3)).toEqual(killed.trials);
  });

  it('refuses a study from another search space or direction before any trial, naming the difference', async () => {
    const table = `${uniquePrefix()}studies`;
    await runStudy({ name: 'fixed', space, storage: storage(table), objective, trials: 2 });
    const wider: SearchSpace = {
      params: [
        { ...space.params[0]!, distribution: { type: 'float', low: -2, high: 3, log: false } },
        space.params[1]!,
      ],
    };
    let calls = 0;
    const error = await runStudy({
      name: 'fixed',
      space: wider,
      direction: 'maximize',
      storage: storage(table),
      objective: async () => ++calls,
      trials: 4,
    }).catch((e: unknown) => e);
    expect(isStudyError(error)).toBe(true);
    expect((error as Error).message).toMatch(/x\.high: stored 2, requested 3/);
    expect((error as Error).message).toMatch(/direction: stored "minimize", requested "maximize"/);
    expect(calls).toBe(0);
    // Another study name in the same table is a study of its own.
    const other = await Study.open({ name: 'other', space: wider, storage: storage(table) });
    expect(other.trials).toEqual([]);
  });

  it("refuses a machine whose context (data, config) differs from the header's, before any trial", async () => {
    const table = `${uniquePrefix()}studies`;
    const context = { data: 'aaaa', config: 'cccc', seed: 42 };
    await runStudy({ name: 'guarded', space, storage: storage(table), context, objective, trials: 2 });
    let calls = 0;
    const error = await runStudy({
      name: 'guarded',
      space,
      storage: storage(table),
      context: { ...context, data: 'bbbb' },
      objective: async () => ++calls,
      trials: 4,
    }).catch((e: unknown) => e);
    expect(isStudyError(error)).toBe(true);
    expect((error as Error).message).toMatch(/context\.data: stored aaaa, requested bbbb/);
    expect((error as Error).message).not.toMatch(/context\.(config|seed)/);
    expect(calls).toBe(0);
    // The same context resumes; an opener that names no context is not checked against it.
    const same = await runStudy({
      name: 'guarded',
      space,
      storage: storage(table),
      context,
      objective,
      trials: 3,
    });
    expect(same.ran).toBe(1);
    const unchecked = await Study.open({ name: 'guarded', space, storage: storage(table) });
    expect(unchecked.trials).toHaveLength(3);
  });

  it('stores each trial number once', async () => {
    const table = `${uniquePrefix()}studies`;
    const s = storage(table);
    await s.open({
      format: 1,
      name: 'once',
      direction: 'minimize',
      space,
      createdAt: new Date().toISOString(),
    });
    const number = await s.claimTrialNumber();
    const record = {
      number,
      state: 'complete' as const,
      params: { x: 0, kind: 'a' },
      value: 0,
      intermediate: [],
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
    };
    await s.saveTrial(record);
    await expect(s.saveTrial(record)).rejects.toThrow(/trial 0 is already stored/);
    await expect(storage(table).saveTrial(record)).rejects.toThrow(/not open/);
    expect(await s.listTrials()).toEqual([record]);
    expect(trialRowKey(42)).toBe('trial-0000000042');
  });
});
