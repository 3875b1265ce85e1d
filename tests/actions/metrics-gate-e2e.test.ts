import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOutputs } from '../support/action-run.js';

const run = promisify(execFile);
const REPORT = 'tests/fixtures/reports/candidate-metrics.json';
const PRODUCTION = 'tests/fixtures/reports/production-metrics.json';
const EXPECTED_FAILURE =
  'division 1 (division-1): auc 0.7400 dropped 0.0200 below production 0.7600 (allowed 0.0100; over by 0.0100)';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opp-e2e-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('metrics-gate end to end', () => {
  it('runs the committed dist/index.js on this Node and fails the step on the fixture regression', async () => {
    const output = join(dir, 'output');
    const summary = join(dir, 'summary.md');
    writeFileSync(output, '');
    writeFileSync(summary, '');
    const env = {
      PATH: process.env.PATH,
      INPUT_REPORT: REPORT,
      INPUT_PRODUCTION: PRODUCTION,
      'INPUT_GATE-CONFIG': 'configs/gate.json',
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      RUNNER_TEMP: dir,
    };
    const error = await run(process.execPath, ['actions/metrics-gate/dist/index.js'], { env }).catch(
      (e: { code: number; stdout: string }) => e,
    );
    expect('code' in error && error.code).toBe(1);
    expect(error.stdout).toContain(`::error::metrics gate failed for 1 division:%0A  ${EXPECTED_FAILURE}`);
    expect(parseOutputs(readFileSync(output, 'utf8'))).toMatchObject({
      passed: 'false',
      reasons: EXPECTED_FAILURE,
    });
    expect(readFileSync(summary, 'utf8')).toContain('## opp metrics gate: ❌ failed');
  });

  it('runs under @github/local-action, which exits 0 but prints the ::error:: and the outputs', async () => {
    const envFile = join(dir, '.env');
    const example = readFileSync('actions/metrics-gate/.env.example', 'utf8');
    writeFileSync(
      envFile,
      `${example}\nGITHUB_STEP_SUMMARY=${join(dir, 'la-summary.md')}\nRUNNER_TEMP=${dir}\n`,
    );
    writeFileSync(join(dir, 'la-summary.md'), '');
    const { stdout } = await run(
      'npx',
      ['local-action', 'run', 'actions/metrics-gate', 'src/main.ts', envFile],
      {
        // The stub of @actions/core only takes when the action resolves it through the same path.
        env: { ...process.env, NODE_OPTIONS: '--preserve-symlinks', FORCE_COLOR: '0' },
      },
    );
    expect(stdout).toContain(`::error::metrics gate failed for 1 division:\n  ${EXPECTED_FAILURE}`);
    expect(stdout).toMatch(/'passed'\s+│ 'false'/);
    expect(readFileSync(join(dir, 'la-summary.md'), 'utf8')).toContain('## opp metrics gate: ❌ failed');
  });
});
