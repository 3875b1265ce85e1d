import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SearchSpace } from '../../../model/hpo/distributions.js';
import { JsonLinesStudyStorage } from '../../../model/hpo/json-lines-study-storage.js';
import { MedianPruner } from '../../../model/hpo/pruner.js';
import { Study } from '../../../model/hpo/study.js';
import { isStudyError } from '../../../pipeline/errors/StudyError.js';

const space: SearchSpace = {
  params: [
    { name: 'x', distribution: { type: 'float', low: -2, high: 2, log: false } },
    { name: 'kind', distribution: { type: 'categorical', choices: ['a', 'b'] } },
  ],
};
const f = (x: number, kind: string) => x * x + (kind === 'a' ? 0 : 1);

async function fill(study: Study, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const t = await study.ask();
    await study.tell(t.number, {
      state: 'complete',
      value: f(t.params.x as number, t.params.kind as string),
    });
  }
}

describe('Study', () => {
  it('tracks states and the best trial in the study direction', async () => {
    const study = await Study.open({ name: 's', space, direction: 'maximize', seed: 1 });
    const a = await study.ask();
    const b = await study.ask();
    const c = await study.ask();
    const d = await study.ask();
    expect(study.runningCount).toBe(4);
    await study.tell(a.number, { state: 'complete', value: 0.7 });
    await study.tell(b.number, { state: 'complete', value: 0.9 });
    await study.tell(c.number, { state: 'failed', error: 'boom' });
    await study.tell(d.number, { state: 'complete', value: Number.NaN });
    expect(study.bestTrial!.number).toBe(b.number);
    expect(study.trials.map((t) => t.state)).toEqual(['complete', 'complete', 'failed', 'failed']);
    expect(study.trials[3]!.error).toMatch(/NaN/);
    await expect(study.tell(a.number, { state: 'complete', value: 1 })).rejects.toThrow(/not running/);
  });

  it('records intermediate values and asks the pruner, storing a pruned trial with its last value', async () => {
    const study = await Study.open({ name: 's', space, pruner: new MedianPruner({ startupTrials: 1 }) });
    const good = await study.ask();
    study.report(good.number, 0, 1);
    study.report(good.number, 1, 0.5);
    await study.tell(good.number, { state: 'complete', value: 0.5 });
    const bad = await study.ask();
    expect(study.report(bad.number, 0, 0.8)).toBe(false);
    expect(study.report(bad.number, 1, 0.9)).toBe(true);
    const record = await study.tell(bad.number, { state: 'pruned' });
    expect(record).toMatchObject({
      state: 'pruned',
      value: 0.9,
      intermediate: [
        { step: 0, value: 0.8 },
        { step: 1, value: 0.9 },
      ],
    });
  });
});

describe('JsonLinesStudyStorage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opp-study-'));

  it('resumes a study from its file, continuing numbering and suggesting as the uninterrupted study would', async () => {
    const file = join(dir, 'resume.jsonl');
    const first = await Study.open({ name: 'r', space, storage: new JsonLinesStudyStorage(file), seed: 3 });
    await fill(first, 15);
    const resumed = await Study.open({ name: 'r', space, storage: new JsonLinesStudyStorage(file), seed: 3 });
    expect(resumed.trials.map((t) => t.number)).toEqual([...Array(15).keys()]);
    await fill(resumed, 10);
    const straight = await Study.open({ name: 'r', space, seed: 3 });
    await fill(straight, 25);
    expect(resumed.trials.map((t) => t.params)).toEqual(straight.trials.map((t) => t.params));
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(26);
  });

  it('drops a half-written last line left by a kill, and appends cleanly after it', async () => {
    const file = join(dir, 'torn.jsonl');
    await fill(await Study.open({ name: 't', space, storage: new JsonLinesStudyStorage(file) }), 3);
    appendFileSync(file, '{"kind":"trial","number":3,"sta');
    const study = await Study.open({ name: 't', space, storage: new JsonLinesStudyStorage(file) });
    expect(study.trials).toHaveLength(3);
    await fill(study, 1);
    const again = await Study.open({ name: 't', space, storage: new JsonLinesStudyStorage(file) });
    expect(again.trials.map((t) => t.number)).toEqual([0, 1, 2, 3]);
  });

  it('refuses a study file made with another search space or direction, naming each difference', async () => {
    const file = join(dir, 'other.jsonl');
    await fill(await Study.open({ name: 'o', space, storage: new JsonLinesStudyStorage(file) }), 2);
    const changed: SearchSpace = {
      params: [
        { name: 'x', distribution: { type: 'float', low: -2, high: 3, log: false } },
        { name: 'y', distribution: { type: 'int', low: 1, high: 4, log: false, step: 1 } },
      ],
    };
    const error = await Study.open({
      name: 'o',
      space: changed,
      direction: 'maximize',
      storage: new JsonLinesStudyStorage(file),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStudyError(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('direction: stored "minimize", requested "maximize"');
    expect(message).toContain('parameter "kind" only in the stored study');
    expect(message).toContain('parameter "y" not in the stored study');
    expect(message).toContain('x.high: stored 2, requested 3');
  });

  it('keeps the context in the header and refuses another one; a header without one (older file) resumes', async () => {
    const file = join(dir, 'context.jsonl');
    const context = { data: 'd1', seed: 1 };
    await fill(await Study.open({ name: 'c', space, storage: new JsonLinesStudyStorage(file), context }), 1);
    expect(JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!)).toMatchObject({ context });
    const error = await Study.open({
      name: 'c',
      space,
      storage: new JsonLinesStudyStorage(file),
      context: { data: 'd2', seed: 1 },
    }).catch((e: unknown) => e);
    expect(isStudyError(error)).toBe(true);
    expect((error as Error).message).toContain('context.data: stored d1, requested d2');
    const older = join(dir, 'older.jsonl');
    await fill(await Study.open({ name: 'c', space, storage: new JsonLinesStudyStorage(older) }), 1);
    const resumed = await Study.open({
      name: 'c',
      space,
      storage: new JsonLinesStudyStorage(older),
      context,
    });
    expect(resumed.trials).toHaveLength(1);
  });

  it('refuses a study file another running process holds, and takes over the lock of a dead one', async () => {
    const file = join(dir, 'locked.jsonl');
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => other.once('exit', resolve));
    writeFileSync(`${file}.lock`, String(other.pid));
    await expect(Study.open({ name: 'l', space, storage: new JsonLinesStudyStorage(file) })).rejects.toThrow(
      new RegExp(`in use by process ${other.pid}`),
    );
    other.kill('SIGKILL');
    await exited;
    const study = await Study.open({ name: 'l', space, storage: new JsonLinesStudyStorage(file) });
    expect(readFileSync(`${file}.lock`, 'utf8')).toBe(String(process.pid));
    await study.close();
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('rejects a file that is not a study, with the line number of a bad trial line', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, 'hello\n');
    await expect(Study.open({ name: 'b', space, storage: new JsonLinesStudyStorage(file) })).rejects.toThrow(
      /bad\.jsonl:1: not a study file/,
    );
    const good = join(dir, 'bad2.jsonl');
    await fill(await Study.open({ name: 'b', space, storage: new JsonLinesStudyStorage(good) }), 1);
    appendFileSync(good, '{"kind":"trial","number":"x"}\n');
    await expect(Study.open({ name: 'b', space, storage: new JsonLinesStudyStorage(good) })).rejects.toThrow(
      /bad2\.jsonl:3: bad trial line/,
    );
  });
});
