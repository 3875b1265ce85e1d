import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TrainingConfigSchema } from '../../../model/training-config.js';
import { generateSampleRecords } from '../../../pipeline/sources/sample-records.js';
import { PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';
import { uniquePrefix, useAzurite } from '../../support/azurite.js';
import { runCli } from '../../support/run-cli.js';

// Trials run in worker threads from build/ (`npm test` builds first), as does the killed child.
const OPP = join(PACKAGE_ROOT, 'build', 'pipeline', 'cli', 'opp.js');
const dir = mkdtempSync(join(tmpdir(), 'opp-cli-hpo-'));
const home = join(dir, 'home');
const data = join(dir, 'records.jsonl');
const config = join(dir, 'config.json');
const space = join(dir, 'space.json');

const small = {
  model: { hiddenLayers: [{ units: 8, activation: 'relu', dropout: 0.1 }] },
  training: { learningRate: 0.01, batchSize: 128, maxEpochs: 50, patience: 2, rebalancing: 'auto' },
  evaluation: { folds: 3 },
};
const tinySpace = {
  parameters: {
    hiddenLayers: { type: 'int', low: 1, high: 2 },
    hiddenUnits: { type: 'int', low: 4, high: 16, log: true },
    layer2Units: { type: 'int', low: 4, high: 16, when: { param: 'hiddenLayers', min: 2 } },
    learningRate: { type: 'log-uniform', low: 1e-3, high: 0.05 },
    rebalancing: { type: 'categorical', choices: ['none', 'class-weight', 'oversample'] },
  },
};
/** Options every run shares: tiny data, tiny space, 2 epochs per trial. */
const common = [
  '--data',
  data,
  '--config',
  config,
  '--space',
  space,
  '--max-epochs',
  '2',
  '--backend',
  'wasm',
];

const run = runCli;

function trialLines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{"kind":"trial"'));
}

beforeAll(() => {
  writeFileSync(
    data,
    [...generateSampleRecords({ n: 1200, seed: 4 })].map((r) => JSON.stringify(r)).join('\n'),
  );
  writeFileSync(config, JSON.stringify(small));
  writeFileSync(space, JSON.stringify(tinySpace));
  vi.stubEnv('OPP_HOME', home);
});

afterEach(() => vi.restoreAllMocks());

describe('opp hpo', () => {
  it('runs a study in worker threads and writes the best trial as a valid proposed config', async () => {
    const result = await run([
      'hpo',
      ...common,
      '--study',
      'e2e',
      '--trials',
      '4',
      '--workers',
      '2',
      '--json',
    ]);
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    const studyFile = join(home, 'studies', 'e2e.jsonl');
    const out = join(home, 'studies', 'e2e.production.json');
    expect(json).toMatchObject({ study: 'e2e', storage: studyFile, out, ran: 4 });
    expect(json.report).toMatchObject({ trials: 4, direction: 'maximize' });
    expect(json.report.importance.map((p: { param: string }) => p.param).sort()).toEqual(
      Object.keys(tinySpace.parameters).sort(),
    );
    expect(trialLines(studyFile)).toHaveLength(4);

    const proposed = TrainingConfigSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    const best = json.best.params;
    expect(json.best.value).toBeGreaterThan(0.5);
    expect(proposed.model.hiddenLayers).toHaveLength(best.hiddenLayers);
    expect(proposed.model.hiddenLayers[0]!.units).toBe(best.hiddenUnits);
    expect(proposed.training).toMatchObject({
      learningRate: best.learningRate,
      rebalancing: best.rebalancing,
      // --max-epochs bounds the study only; the proposal keeps the config's own.
      maxEpochs: small.training.maxEpochs,
    });
    expect(proposed.description).toMatch(/study "e2e", trial #\d+: validation AUC/);

    // Tracked: the study as a parent run, each trial a child run with its value.
    const runs = JSON.parse((await run(['runs', '--json', '--limit', '50'])).stdout).runs;
    const study = runs.find((r: { runName: string }) => r.runName === 'hpo e2e');
    const trials = runs.filter((r: { parentRunId?: string }) => r.parentRunId === study.runId);
    expect(trials).toHaveLength(4);
    expect(study.metrics.best_value).toBeCloseTo(json.best.value, 12);
    for (const trial of trials) expect(trial.tags['opp.trial.state']).toMatch(/complete|pruned/);
  });

  it('resumes a killed study without repeating its finished trials', async () => {
    const storage = join(dir, 'killed.jsonl');
    const args = ['hpo', ...common, '--study', 'killed', '--storage', storage, '--workers', '1'];
    const child = spawn(process.execPath, [OPP, ...args, '--trials', '100'], {
      stdio: 'ignore',
      env: { ...process.env, OPP_HOME: home },
    });
    // Kill it once two trials are stored, in the middle of the next.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (existsSync(storage) && trialLines(storage).length >= 2) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      child.once('exit', () => {
        clearInterval(timer);
        reject(new Error('the study ended before it was killed'));
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const kept = trialLines(storage);

    const resumed = await run([...args, '--trials', String(kept.length + 2), '--json']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).ran).toBe(2);
    const lines = trialLines(storage);
    expect(lines.slice(0, kept.length)).toEqual(kept);
    const numbers = lines.map((line) => JSON.parse(line).number as number);
    expect(numbers).toEqual([...Array(kept.length + 2).keys()]);
  });

  it('refuses to resume a study with other data, naming what changed', async () => {
    const other = join(dir, 'other.jsonl');
    writeFileSync(other, `${readFileSync(data, 'utf8')}\n`);
    // The study the first test ran.
    const storage = join(home, 'studies', 'e2e.jsonl');
    const before = trialLines(storage);
    const result = await run(['hpo', ...common, '--data', other, '--study', 'e2e', '--trials', '9']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/run with a different data file \(--data\)/);
    expect(trialLines(storage)).toEqual(before);
  });

  it('refuses a bad search space before any trial, naming the file and the parameter', async () => {
    const bad = join(dir, 'bad-space.json');
    writeFileSync(
      bad,
      JSON.stringify({ parameters: { learningRate: { type: 'log-uniform', low: 0, high: 0.1 } } }),
    );
    const result = await run(['hpo', ...common, '--space', bad, '--study', 'bad', '--trials', '3']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(bad);
    expect(result.stderr).toMatch(/learningRate/);
    expect(existsSync(join(home, 'studies', 'bad.jsonl'))).toBe(false);
  });

  describe('with --storage azure-table://<table>', () => {
    const azurite = useAzurite();

    /** `opp hpo` arguments for a one-worker study in a fresh table on this file's Azurite. */
    function tableStudy(study: string): { table: string; args: string[] } {
      vi.stubEnv('OPP_STORAGE_CONNECTION_STRING', azurite.instance.connectionString);
      const table = `${uniquePrefix()}studies`;
      return {
        table,
        args: ['hpo', ...common, '--study', study, '--storage', `azure-table://${table}`, '--workers', '1'],
      };
    }

    it('stores the study in the table and resumes it from there', async () => {
      const { table, args } = tableStudy('shared');
      const first = await run([...args, '--trials', '2', '--json']);
      expect(first.stderr).not.toMatch(/unexpected error/);
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ storage: `azure-table://${table}`, ran: 2 });
      expect(existsSync(join(home, 'studies', 'shared.jsonl'))).toBe(false);
      const second = await run([...args, '--trials', '3', '--json']);
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout)).toMatchObject({ ran: 1, report: { trials: 3 } });
      // What hpo.yml's publish job does: --report-only runs no trial, only reads and reports.
      const out = join(dir, 'published.production.json');
      const read = await run([...args, '--report-only', '--out', out, '--json']);
      expect(read.code).toBe(0);
      expect(JSON.parse(read.stdout)).toMatchObject({ ran: 0, report: { trials: 3 } });
      expect(TrainingConfigSchema.safeParse(JSON.parse(readFileSync(out, 'utf8'))).success).toBe(true);
    });

    it("refuses, from the table study's header, a run on other data (another machine's, with no local context file)", async () => {
      const { args } = tableStudy('guarded');
      const first = await run([...args, '--trials', '1', '--json']);
      expect(first.code).toBe(0);
      const otherData = join(dir, 'other-records.jsonl');
      writeFileSync(
        otherData,
        [...generateSampleRecords({ n: 1200, seed: 5 })].map((r) => JSON.stringify(r)).join('\n'),
      );
      const other = await run([...args, '--data', otherData, '--trials', '2', '--json']);
      expect(other.code).not.toBe(0);
      expect(other.stderr).toMatch(/context\.data: stored [0-9a-f]{64}, requested [0-9a-f]{64}/);
      expect(other.stderr).not.toMatch(/context\.(spec|config|seed)/);
    });

    it('refuses a bad table name before any trial', async () => {
      const result = await run([
        'hpo',
        ...common,
        '--study',
        'badtable',
        '--storage',
        'azure-table://no-dashes',
      ]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/Azure Table name/);
    });
  });
});
