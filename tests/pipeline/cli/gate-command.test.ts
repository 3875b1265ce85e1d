import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../pipeline/cli/opp.js';
import { METRICS_COMMENT_MARKER } from '../../../pipeline/reports/pr-comment.js';
import { type FakeGitHub, startFakeGitHub } from '../../support/fake-github.js';
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

describe('opp gate --markdown and --comment', () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await startFakeGitHub();
  });
  afterEach(() => github.close());

  it('writes the PR report and posts it once, then updates the same comment', async () => {
    const report = writeJson('c1.json', metricsReport([modelReport(0)]));
    const markdown = join(dir, 'comment.md');
    vi.stubEnv('GITHUB_TOKEN', 'test-token');
    vi.stubEnv('GITHUB_API_URL', github.url);
    try {
      capture();
      expect(
        await main(['gate', '--report', report, '--markdown', markdown, '--comment', 'acme/opp#5', '--json']),
      ).toBe(0);
      expect(JSON.parse(stdout).comment).toMatchObject({ action: 'created' });
      expect(readFileSync(markdown, 'utf8')).toContain(METRICS_COMMENT_MARKER);
      vi.restoreAllMocks();
      const worse = writeJson('c2.json', metricsReport([modelReport(0, { recall: 0.5 })]));
      capture();
      expect(
        await main([
          'gate',
          '--report',
          worse,
          '--comment',
          'acme/opp#5',
          '--comparison-source',
          'base-commit',
        ]),
      ).toBe(1);
      expect(stdout).toMatch(/comment updated: https:\/\/github\.test\/acme\/opp\/pull\/5#issuecomment-\d+/);
      const comments = github.comments('acme', 'opp', 5);
      expect(comments).toHaveLength(1);
      expect(comments[0]!.body).toContain('a **model trained from the base commit**');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('rejects a malformed --comment target as bad usage', async () => {
    const report = writeJson('c3.json', metricsReport([modelReport(0)]));
    capture();
    expect(await main(['gate', '--report', report, '--comment', 'acme/opp/5'])).toBe(2);
    expect(stderr).toContain('expected owner/repo#number');
  });
});
