import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../actions/metrics-gate/src/main.js';
import { METRICS_COMMENT_MARKER } from '../../pipeline/reports/pr-comment.js';
import { type ActionHarness, createActionHarness } from '../support/action-run.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.js';
import { fallbackReport, metricsReport, modelReport } from '../support/metrics-fixtures.js';
import { commentInputs } from '../support/pr-comment-fixture.js';

let harness: ActionHarness;
let github: FakeGitHub;
let passing: string;
let failing: string;
let production: string;
let event: string;

function writeJson(name: string, value: unknown): string {
  const file = join(harness.dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

beforeAll(() => {
  harness = createActionHarness();
  passing = writeJson('passing.json', metricsReport([modelReport(0), fallbackReport(6)]));
  failing = writeJson(
    'failing.json',
    metricsReport([modelReport(0, { auc: 0.7 }), modelReport(2, { recall: 0.66 })]),
  );
  production = writeJson('production.json', metricsReport([modelReport(0, { auc: 0.76 }), modelReport(2)]));
  event = writeJson('event.json', { pull_request: { number: 42 } });
});
afterAll(() => harness.dispose());
beforeEach(async () => {
  github = await startFakeGitHub();
});
afterEach(() => github.close());

const env = () => ({
  GITHUB_REPOSITORY: 'acme/opp',
  GITHUB_API_URL: github.url,
  GITHUB_SERVER_URL: 'https://github.test',
  GITHUB_RUN_ID: '99',
  GITHUB_EVENT_PATH: event,
});

describe('metrics-gate action', () => {
  it('passes, sets outputs and writes the job summary', async () => {
    const result = await harness.run(run, { report: passing, 'gate-config': 'configs/gate.json' }, env());
    expect(result.failed).toBe(false);
    expect(result.outputs).toMatchObject({ passed: 'true', reasons: '', 'failing-divisions': '[]' });
    expect(result.outputs['report-markdown']).toBe(join(harness.dir, 'opp-metrics-gate', 'comment.md'));
    expect(readFileSync(result.outputs['report-markdown']!, 'utf8')).toContain(METRICS_COMMENT_MARKER);
    expect(readFileSync(result.outputs['full-report-markdown']!, 'utf8')).toBe(result.summary);
    expect(JSON.parse(readFileSync(result.outputs['gate-result']!, 'utf8'))).toMatchObject({ passed: true });
    expect(result.summary).toContain('## opp metrics gate: ✅ passed');
    expect(result.summary).not.toContain(METRICS_COMMENT_MARKER);
    expect(result.summary).toContain('[artifact](https://github.test/acme/opp/actions/runs/99)');
    expect(result.errors).toEqual([]);
    expect(github.requests).toHaveLength(0);
  });

  it('fails the step once, with annotations naming each failing metric and by how much', async () => {
    const result = await harness.run(run, { report: failing, production }, env());
    expect(result.failed).toBe(true);
    expect(result.outputs.passed).toBe('false');
    expect(result.outputs['failing-divisions']).toBe('[0,2]');
    expect(result.outputs.reasons).toBe(
      [
        'division 0 (general): auc 0.7000 dropped 0.0600 below production 0.7600 (allowed 0.0100; over by 0.0500)',
        'division 2 (division-2): recall 0.6600 < minimum 0.7000 (short by 0.0400)',
      ].join('\n'),
    );
    expect(result.stdout).toContain(
      '::error title=metrics gate%3A division 2 recall::recall 0.6600 < minimum 0.7000 (short by 0.0400)',
    );
    expect(result.errors).toHaveLength(3);
    expect(result.errors.at(-1)).toMatch(
      /^metrics gate failed for 2 divisions:\n {2}division 0 \(general\): auc 0\.7000 dropped/,
    );
    expect(result.summary).toContain('## opp metrics gate: ❌ failed');
    // The comment's report: the compact table, the reasons by cause, the collapsed details.
    expect(result.summary).toContain(
      '\n| division | AUC | Δ AUC | gate |\n| --- | --- | --- | --- |\n| 0 general | 0.700 | −0.060 | ❌ fail |\n| 2 division-2 | 0.750 | 0.000 | ❌ fail |\n',
    );
    expect(result.summary).toContain('- ❌ recall below the minimum 0.700: division 2 (0.660)\n');
    expect(result.summary).toContain(
      '<details><summary>Accuracy, precision, recall, F1, PR-AUC and Brier</summary>',
    );
    expect(result.summary).toContain('<details><summary>Charts: division 2 (division-2)</summary>');
  });

  it('in report mode creates the PR comment once, then updates it in place', async () => {
    const inputs = { mode: 'report', report: passing, 'github-token': 'test-token' };
    const first = await harness.run(run, inputs, env());
    expect(first.failed).toBe(false);
    const comments = github.comments('acme', 'opp', 42);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body.startsWith(METRICS_COMMENT_MARKER)).toBe(true);
    expect(first.outputs['comment-id']).toBe(String(comments[0]!.id));

    const second = await harness.run(run, { ...inputs, report: failing, production }, env());
    expect(second.failed).toBe(true);
    const after = github.comments('acme', 'opp', 42);
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(comments[0]!.id);
    expect(after[0]!.body).toContain('## opp metrics gate: ❌ failed');
    expect(github.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(github.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it("with a personal token, updates that user's comment and leaves other marked comments alone", async () => {
    await github.close();
    github = await startFakeGitHub({ tokens: { pat: 'alice' } });
    const foreign = github.addComment(
      'acme',
      'opp',
      42,
      `${METRICS_COMMENT_MARKER}\nby someone else`,
      'mallory',
    );
    const inputs = { mode: 'report', report: passing, 'github-token': 'pat' };
    await harness.run(run, inputs, env());
    await harness.run(run, { ...inputs, report: failing }, env());
    const comments = github.comments('acme', 'opp', 42);
    expect(comments.map((c) => c.user.login)).toEqual(['mallory', 'alice']);
    expect(comments[0]!.body).toBe(foreign.body);
    expect(comments[1]!.body).toContain('❌ failed');
  });

  it('with head-sha, comments only when the pull request has that head commit', async () => {
    github.setPullRequest('acme', 'opp', 42, 'a'.repeat(40));
    const inputs = { mode: 'report', report: passing, 'github-token': 'test-token', 'pull-request': '42' };
    const forged = await harness.run(run, { ...inputs, 'head-sha': 'b'.repeat(40) }, env());
    expect(forged.failed).toBe(true);
    expect(forged.errors.at(-1)).toContain(
      `pull request acme/opp#42 has head ${'a'.repeat(40)}, not ${'b'.repeat(40)}`,
    );
    expect(github.comments('acme', 'opp', 42)).toHaveLength(0);
    const genuine = await harness.run(run, { ...inputs, 'head-sha': 'A'.repeat(40) }, env());
    expect(genuine.failed).toBe(false);
    expect(github.comments('acme', 'opp', 42)).toHaveLength(1);
  });

  it('annotates a division that failed for want of data, not on a metric', async () => {
    const otherRows = writeJson('other-rows.json', metricsReport([modelReport(0, { n: 3000 })]));
    const result = await harness.run(run, { report: passing, production: otherRows }, env());
    expect(result.failed).toBe(true);
    expect(result.errors[0]).toContain('production was scored on other rows (3000 rows');
    expect(result.errors.at(-1)).toContain('metrics gate failed for 1 division');
  });

  it('skips the job summary without failing when GITHUB_STEP_SUMMARY is not set', async () => {
    const result = await harness.run(run, { report: passing }, { ...env(), GITHUB_STEP_SUMMARY: '' });
    expect(result.failed).toBe(false);
    expect(result.summary).toBe('');
    expect(result.stdout).toContain('job summary skipped');
  });

  it('masks the token and fails with the API error when the comment cannot be posted', async () => {
    github.inject({ method: 'POST', path: /comments$/, status: 403 });
    const result = await harness.run(
      run,
      { mode: 'report', report: passing, 'github-token': 'test-token' },
      env(),
    );
    expect(result.stdout).toContain('::add-mask::test-token');
    expect(result.failed).toBe(true);
    expect(result.errors.at(-1)).toContain('create comment on acme/opp#42 failed (HTTP 403)');
  });

  it('applies gate-overrides and rejects a bad input by name', async () => {
    const stricter = await harness.run(
      run,
      { report: passing, 'gate-overrides': '{"minimum": {"auc": 0.8}}' },
      env(),
    );
    expect(stricter.failed).toBe(true);
    expect(stricter.outputs.reasons).toContain('auc 0.7500 < minimum 0.8000');

    const bad = await harness.run(run, { report: passing, mode: 'comment' }, env());
    expect(bad.failed).toBe(true);
    expect(bad.errors).toEqual(['Input mode: expected one of gate, report, but got "comment"']);

    const missing = await harness.run(run, {}, env());
    expect(missing.errors).toEqual(['Input required and not supplied: report']);
  });

  it('with artifact, refuses the inputs it replaces and a report-mode run without head-sha', async () => {
    const both = await harness.run(run, { artifact: harness.dir, report: passing, production }, env());
    expect(both.errors).toEqual(['Input artifact: replaces report, production; leave them empty']);
    const noHead = await harness.run(
      run,
      { artifact: harness.dir, mode: 'report', 'github-token': 'test-token' },
      env(),
    );
    expect(noHead.errors.at(-1)).toMatch(/^Input head-sha: required with artifact in report mode/);
    expect(github.requests).toHaveLength(0);
  });
});

describe('metrics-gate action on sample data', () => {
  // Accuracy 0.80 and precision 0.70: below configs/gate.json (0.85, 0.80), as sample data always is.
  const sampleLike = () =>
    writeJson(
      'sample-like.json',
      metricsReport([modelReport(0, { accuracy: 0.8, precision: 0.7, recall: 0.5, f1: 0.5 })]),
    );

  it('as retrain.yml calls it: names the registry version comparison.json records, and warns of a division possibly worse', async () => {
    // Division 1: Δ −0.020 beyond the 0.01 margin with se 0.01 (not provable); division 0: Δ 0.
    const { report, comparison } = commentInputs(2);
    comparison.comparison = { source: 'registry', modelVersion: 'opp:3' };
    const result = await harness.run(
      run,
      {
        report: writeJson('registry-candidate.json', report),
        comparison: writeJson('registry-comparison.json', comparison),
        'comparison-source': 'registry',
        'gate-config': 'configs/gate.json',
      },
      env(),
    );
    expect(result.summary).toContain('Compared with the **production model `opp:3` from the registry**');
    expect(result.summary).toMatch(/^## opp metrics gate: ❌ failed · ⚠️ 1 division possibly worse$/m);
    const gate = JSON.parse(readFileSync(result.outputs['gate-result']!, 'utf8'));
    expect(gate.needsReview).toEqual([1]);
    // Possibly worse is a warning annotation (seen in the checks list), too small to tell a notice.
    expect(result.stdout).toMatch(
      /^::warning title=metrics gate%3A division 1::possibly worse: AUC change −0\.0200/m,
    );
    expect(result.stdout).toMatch(/^::notice title=metrics gate%3A division 0::too small to tell/m);
    expect(result.stdout).not.toMatch(/^::warning title=metrics gate%3A division 0::/m);
  });

  it('gates with the sample-data gate and says the verdict is advisory', async () => {
    const report = sampleLike();
    const real = await harness.run(run, { report }, env());
    expect(real.failed).toBe(true);
    const result = await harness.run(run, { report, 'data-source': 'sample records (20000, seed 1)' }, env());
    expect(result.errors).toEqual([]);
    expect(result.failed).toBe(false);
    const comment = readFileSync(result.outputs['report-markdown']!, 'utf8');
    expect(comment).toContain('## opp metrics gate: ✅ passed (advisory: sample data)');
    expect(comment).toContain(
      'the sample-data gate `configs/examples/gate-sample-data.json`, not `configs/gate.json`',
    );
  });

  it('keeps the production gate for a snapshot, and still fails a real regression on sample data', async () => {
    const snapshot = await harness.run(
      run,
      { report: sampleLike(), 'data-source': 'snapshot abc123' },
      env(),
    );
    expect(snapshot.failed).toBe(true);
    expect(readFileSync(snapshot.outputs['report-markdown']!, 'utf8')).not.toContain('advisory');
    // Recall 0.2: below the sample gate's 0.3 as well.
    const weak = writeJson('weak.json', metricsReport([modelReport(0, { recall: 0.2, f1: 0.5 })]));
    const result = await harness.run(
      run,
      { report: weak, 'data-source': 'sample records (20000, seed 1)' },
      env(),
    );
    expect(result.failed).toBe(true);
    expect(result.outputs.reasons).toBe(
      'division 0 (general): recall 0.2000 < minimum 0.3000 (short by 0.1000)',
    );
  });
});
