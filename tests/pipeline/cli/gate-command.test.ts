import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../pipeline/cli/opp.js';
import { metricsReport, modelReport } from '../../support/metrics-fixtures.js';

let dir: string;
let stdout: string;
let stderr: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opp-gate-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function capture(): void {
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
}

function writeJson(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('opp gate', () => {
  it('exits 0 and prints one JSON result when every division passes', async () => {
    const report = writeJson('pass.json', metricsReport([modelReport(0), modelReport(1)]));
    capture();
    const code = await main(['gate', '--report', report, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ passed: true, baseline: 'none' });
    expect(result.divisions).toHaveLength(2);
  });

  it('exits 1 on a regression against production, with exactly one JSON document on stdout', async () => {
    const report = writeJson('cand.json', metricsReport([modelReport(0, { auc: 0.74 })]));
    const production = writeJson('prod.json', metricsReport([modelReport(0, { auc: 0.8 })]));
    capture();
    const code = await main(['gate', '--report', report, '--production', production, '--json']);
    expect(code).toBe(1);
    const result = JSON.parse(stdout);
    expect(result.passed).toBe(false);
    expect(result.reasons[0]).toContain('auc 0.7400 dropped 0.0600 below production 0.8000');
    expect(stderr).toContain('opp: metrics gate failed for 1 division');
  });

  it('prints a readable table without --json', async () => {
    const report = writeJson('fail.json', metricsReport([modelReport(2, { precision: 0.7 })]));
    capture();
    const code = await main(['gate', '--report', report]);
    expect(code).toBe(1);
    expect(stdout).toContain('metrics gate: FAILED');
    expect(stdout).toMatch(/FAIL precision\s+0\.7000 ≥ 0\.8000\s+margin -0\.1000/);
  });

  it('names the file and path of a report that does not match the schema', async () => {
    const report = writeJson('bad.json', { ...metricsReport([modelReport(0)]), version: 9 });
    capture();
    const code = await main(['gate', '--report', report]);
    expect(code).toBe(1);
    expect(stderr).toContain('bad.json: does not match its schema');
    expect(stderr).toContain('$.version');
  });
});
