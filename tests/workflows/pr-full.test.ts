import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure, type GateResult } from '../../pipeline/gate/evaluate-gate.js';
import { runBackfill } from '../../pipeline/ingestion/run-backfill.js';
import { createSnapshot } from '../../pipeline/ingestion/snapshot.js';
import { advisoryNote, METRICS_COMMENT_MARKER, UNVERIFIED_NOTE } from '../../pipeline/reports/pr-comment.js';
import { type ArtifactStore, createArtifactStore } from '../support/artifact-store.js';
import { readOnlyConnectionString, useAzurite } from '../support/azurite.js';
import { type FakeGitHub, type FakeRequest, startFakeGitHub } from '../support/fake-github.js';
import { AFTER_ALL, SPEC, startSourceFixture } from '../support/ingest-fixture.js';
import {
  checkoutWorkingTree,
  type JobRun,
  npmCiShim,
  npmCiStandIn,
  readJob,
  readJobSteps,
  runJobSteps,
} from '../support/workflow-run.js';

/**
 * Pull requests end to end (issue 25, item 4b): pr.yml's whole `metrics` job, as written, on a
 * fresh checkout, its artifact handed to pr-comment.yml's job, and the comment that job posts on
 * the fake GitHub. A fork's run gets no secrets (so sample records and the advisory sample-data
 * gate); a same-repository one gets the storage secret (the latest snapshot from Azurite and
 * configs/gate.json). Both local actions run from their committed dist/ in child processes, as
 * on a runner.
 *
 * Stand-ins: checkout copies this working tree (the PR's merge commit) into the workspace, and
 * again into `.base` for the base commit (the same sources, built apart: candidate and base must
 * then agree, which the comparison shows); setup-node only records the version; the root
 * `npm ci` step links node_modules and copies the test run's build ({@link npmCiStandIn}); the
 * base step's `npm ci` (inside its script) links node_modules and runs `npm run prepare` (the
 * real build of `.base`, {@link npmCiShim}); upload and download go through
 * {@link createArtifactStore} (upload-artifact's own search: paths, root, if-no-files-found).
 *
 * SAMPLE_RECORDS is 3000 here, not the workflow's 20000 (and the snapshot holds 3000 records):
 * training both commits on 20000 takes minutes on 2 cores (tests/bench/pr-push-to-comment.ts
 * times 50,000), and 3000 still train the general model and a division of their own, so the
 * gate has divisions to judge.
 */

const PR_WORKFLOW = '.github/workflows/pr.yml';
const COMMENT_WORKFLOW = '.github/workflows/pr-comment.yml';
const ROOT = resolve('.');
const sha = (what: string) => createHash('sha1').update(what).digest('hex');
/** The PR's head, its base and the merge commit pull_request runs check out (GITHUB_SHA). */
const HEAD = sha('head');
const BASE = sha('base');
const MERGE = sha('merge');
const SAMPLE_RECORDS = '3000';
const OUTCOME_LABEL = { pass: '✅ pass', fail: '❌ fail', fallback: '↪️ fallback' } as const;
const SAMPLE_GATE = 'configs/examples/gate-sample-data.json';
/** The gate rules a pull request edits to no bounds at all in its own tree (the base keeps them). */
const LOOSENED_GATE_FILES = ['configs/gate.json', SAMPLE_GATE];

const azurite = useAzurite();
let dir: string;
let github: FakeGitHub;
let store: ArtifactStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opp-pr-full-'));
  github = await startFakeGitHub();
  store = createArtifactStore(join(dir, 'artifacts'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await github?.close();
});

/** One pull request's rehearsal: its number, where it comes from, its pr.yml run and what it left. */
interface PullRequestRun {
  pr: number;
  /** The head repository: another one for a fork. */
  headRepository: string;
  runId: string;
  workspace: string;
  run: JobRun;
  nodeVersions: string[];
  seconds: number;
  /** Requests the fake GitHub got during the run. */
  apiCalls: FakeRequest[];
}

/**
 * pr.yml's `metrics` job for pull request `pr` from `headRepository` (run `runId`), with the
 * storage secret and prefix variable when given (a same-repository PR), else none (a fork's).
 */
async function runPrJob(
  pr: number,
  headRepository: string,
  runId: string,
  storage?: { connectionString: string; prefix: string },
): Promise<PullRequestRun> {
  const workspace = join(dir, `pr-${pr}-workspace`);
  const runnerTemp = join(dir, `pr-${pr}-temp`);
  mkdirSync(workspace);
  mkdirSync(runnerTemp);
  const event = join(dir, `pr-${pr}-event.json`);
  writeFileSync(
    event,
    JSON.stringify({
      action: 'synchronize',
      number: pr,
      pull_request: {
        number: pr,
        head: { sha: HEAD, repo: { full_name: headRepository } },
        base: { sha: BASE, repo: { full_name: 'acme/opp' } },
      },
    }),
  );
  const { steps, env } = readJob(PR_WORKFLOW, 'metrics');
  expect(env.SAMPLE_RECORDS).toBe('20000');
  const nodeVersions: string[] = [];
  const requestsBefore = github.requests.length;
  const started = performance.now();
  const run = await runJobSteps(steps, {
    workspace,
    runnerTemp,
    jobEnv: { ...env, SAMPLE_RECORDS },
    // Secrets and variables only where given (a fork's run gets none); a read-only token.
    context: {
      'github.token': 'read-only-token',
      'github.event.pull_request.number': String(pr),
      'github.event.pull_request.head.sha': HEAD,
      'github.event.pull_request.base.sha': BASE,
      ...(storage
        ? {
            'secrets.OPP_STORAGE_CONNECTION_STRING': storage.connectionString,
            'vars.OPP_STORAGE_PREFIX': storage.prefix,
          }
        : {}),
    },
    env: {
      HOME: join(dir, 'home'),
      PATH: npmCiShim(ROOT, join(dir, 'shim')),
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: event,
      GITHUB_REPOSITORY: 'acme/opp',
      GITHUB_SHA: MERGE,
      GITHUB_RUN_ID: runId,
      GITHUB_SERVER_URL: 'https://github.test',
      GITHUB_API_URL: github.url,
    },
    remoteActions: {
      'actions/checkout': (inputs) => {
        expect(inputs['persist-credentials']).toBe('false');
        if (inputs.path === '.base') {
          expect(inputs.ref).toBe(BASE);
          checkoutWorkingTree(ROOT, join(workspace, '.base'));
        } else {
          expect(inputs.path).toBeUndefined();
          checkoutWorkingTree(ROOT, workspace);
          // The pull request loosens its own gate: pr.yml must still gate with the base's rules,
          // as pr-comment.yml does with the default branch's (the verdicts compared below).
          for (const rules of LOOSENED_GATE_FILES) writeFileSync(join(workspace, rules), '{}\n');
        }
      },
      'actions/setup-node': (inputs) => nodeVersions.push(inputs['node-version'] ?? ''),
      'actions/upload-artifact': (inputs) => store.upload(workspace, runId, inputs),
    },
    runStandIns: [npmCiStandIn(ROOT)],
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(`pr.yml metrics job, PR ${pr} from ${headRepository}: ${seconds.toFixed(1)} s`);
  const apiCalls = github.requests.slice(requestsBefore);
  return { pr, headRepository, runId, workspace, run, nodeVersions, seconds, apiCalls };
}

/** pr-comment.yml's job as the workflow_run of `pull`'s pr.yml run (`name` keeps its folders apart). */
async function runCommentJob(
  pull: PullRequestRun,
  name: string,
): Promise<{ job: JobRun; runnerTemp: string }> {
  const workspace = join(dir, `${name}-workspace`);
  const runnerTemp = join(dir, `${name}-temp`);
  mkdirSync(workspace);
  mkdirSync(runnerTemp);
  const workflowRun = {
    id: Number(pull.runId),
    event: 'pull_request',
    conclusion: pull.run.failed ? 'failure' : 'success',
    head_sha: HEAD,
    html_url: `https://github.test/acme/opp/actions/runs/${pull.runId}`,
    head_repository: { full_name: pull.headRepository },
  };
  const event = join(dir, `${name}-event.json`);
  writeFileSync(event, JSON.stringify({ action: 'completed', workflow_run: workflowRun }));
  const commentRun = String(Number(pull.runId) + 1);
  const started = performance.now();
  const job = await runJobSteps(readJobSteps(COMMENT_WORKFLOW, 'comment'), {
    workspace,
    runnerTemp,
    context: {
      'runner.temp': runnerTemp,
      'github.token': 'test-token',
      'github.repository': 'acme/opp',
      'github.event.workflow_run.id': pull.runId,
      'github.event.workflow_run.head_sha': HEAD,
      'github.event.workflow_run.html_url': workflowRun.html_url,
      'github.event.workflow_run.head_repository.full_name': workflowRun.head_repository.full_name,
    },
    env: {
      HOME: join(dir, 'home'),
      GITHUB_EVENT_NAME: 'workflow_run',
      GITHUB_EVENT_PATH: event,
      GITHUB_REPOSITORY: 'acme/opp',
      GITHUB_RUN_ID: commentRun,
      GITHUB_SERVER_URL: 'https://github.test',
      GITHUB_API_URL: github.url,
    },
    remoteActions: {
      // The default branch's code: this working tree again, in the job's own workspace.
      'actions/checkout': () => checkoutWorkingTree(ROOT, workspace),
      'actions/download-artifact': (inputs) => store.download(workspace, commentRun, inputs),
    },
  });
  console.log(`pr-comment.yml comment job (${name}): ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { job, runnerTemp };
}

/** The text under `### title` up to the next heading of that level (empty when absent). */
function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n### ${title}\n`);
  if (start < 0) return '';
  const end = markdown.indexOf('\n### ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end).trim();
}

const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;

/** The `::error::` lines the metrics-gate action prints for `gate`: one per failing check, then its failure. */
function gateErrors(gate: GateResult): string[] {
  if (gate.passed) return [];
  const annotations = gate.divisions.flatMap((d) => {
    const described = d.checks.filter((c) => !c.passed).map(describeFailure);
    return [...described, ...d.reasons.filter((r) => !described.includes(r))];
  });
  const failing = gate.divisions.filter((d) => d.outcome === 'fail').length;
  return [
    ...annotations,
    [
      `metrics gate failed for ${failing} division${failing === 1 ? '' : 's'}:`,
      ...gate.reasons.map((r) => `  ${r}`),
    ].join('\n'),
  ];
}

/** What pr.yml's run must have done, whichever the data: the steps, the reports, the artifact. */
function expectPrRun(pull: PullRequestRun, data: { file: string; source: string }): GateResult {
  const { run, workspace } = pull;
  const gate = readJson<GateResult>(join(workspace, 'report', 'gate', 'gate-result.json'));
  // The gate step alone may fail the job (its verdict), the artifact being uploaded anyway.
  expect(run.errors, run.output).toEqual(gateErrors(gate));
  expect(run.failed).toBe(!gate.passed);
  if (!gate.passed) expect(run.failedStep).toBe('Metrics gate (against the base commit)');
  expect(run.outputs.gate?.passed).toBe(String(gate.passed));
  expect(pull.nodeVersions).toEqual(['24']);
  expect(run.outputs.data).toEqual(data);
  expect(run.output).toContain('[stand-in for: npm ci --no-audit --no-fund]');
  // The base was built in .base by its own prepare script (the shim ran it, no stand-in).
  expect(run.output).toMatch(/> opp@[\d.]+ prepare\n> npm run build/);
  expect(run.outputs.base).toEqual({ report: 'report/baseline/metrics.json' });
  expect(run.outputs.compare).toEqual({ report: 'report/comparison.json' });
  expect(run.outputs.rules).toEqual({ gate: '.base/configs/gate.json', sample: `.base/${SAMPLE_GATE}` });
  expect(readJson(join(workspace, 'report', 'pr.json'))).toEqual({
    number: pull.pr,
    headSha: HEAD,
    data: data.source,
  });
  // upload-artifact's root is the search paths' common folder, report/.
  expect(store.files(pull.runId, 'opp-metrics-report')).toEqual([
    'baseline/metrics.json',
    'candidate/metrics.json',
    'comparison.json',
    'gate/comment.md',
    'gate/gate-result.json',
    'gate/report.md',
    'pr.json',
  ]);
  expect(store.messages).toEqual([]);
  // No write token, no comment: pr.yml never calls the API.
  expect(pull.apiCalls).toEqual([]);
  // The same sources on the same rows and seed: the base model is the candidate's twin.
  const comparison = readJson<{ divisions: { deltas: Record<string, number> }[] }>(
    join(workspace, 'report', 'comparison.json'),
  );
  expect(comparison.divisions.length).toBeGreaterThan(1);
  for (const division of comparison.divisions)
    for (const delta of Object.values(division.deltas)) expect(delta).toBe(0);
  return gate;
}

/**
 * What the comment job must have posted: one comment whose verdict is pr.yml's gate-result.json
 * (re-evaluated from the artifact to the same result), after checking the PR's head; returns it.
 */
function expectOneVerdict(pull: PullRequestRun, job: JobRun, runnerTemp: string): string {
  const gate = readJson<GateResult>(join(pull.workspace, 'report', 'gate', 'gate-result.json'));
  // Report mode posts first, then fails the job on a failing gate, as gate mode does.
  expect(job.errors, job.output).toEqual(gateErrors(gate));
  expect(job.failed).toBe(!gate.passed);
  const comments = github.comments('acme', 'opp', pull.pr);
  expect(comments).toHaveLength(1);
  const body = comments[0]!.body;
  expect(readJson(join(runnerTemp, 'comment', 'gate-result.json'))).toEqual(gate);
  expect(
    body.startsWith(
      `${METRICS_COMMENT_MARKER}\n\n## opp metrics gate: ${gate.passed ? '✅ passed' : '❌ failed'}`,
    ),
  ).toBe(true);
  // The headline counts the divisions possibly worse, as gate-result.json lists them.
  const review = gate.needsReview.length;
  const headline = body.split('\n')[2]!;
  if (review === 0) expect(headline).not.toContain('possibly worse');
  else expect(headline).toContain(` · ⚠️ ${review} division${review === 1 ? '' : 's'} possibly worse`);
  expect(body).toContain(`a **model trained from the base commit** \`${BASE.slice(0, 7)}\``);
  // The division table's `gate` column, found by its header (columns no division fills are left out).
  const table = section(body, 'Divisions')
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  const gateColumn = table[0]!.indexOf('gate');
  expect(gateColumn).toBeGreaterThan(0);
  const rows = table.slice(2).map((cells) => [Number(/^\d+/.exec(cells[0]!)![0]), cells[gateColumn]]);
  expect(rows.sort()).toEqual(gate.divisions.map((d) => [d.division, OUTCOME_LABEL[d.outcome]]).sort());
  // Reasons: a ❌ line names exactly the failing divisions; every note's division is named.
  const reasons = section(body, 'Gate reasons');
  const failing = gate.divisions.filter((d) => d.outcome === 'fail').map((d) => d.division);
  const named = [...reasons.matchAll(/^- ❌ .*: divisions? (.*)$/gm)].flatMap((m) =>
    [...m[1]!.matchAll(/(?:^|, )(\d+)/g)].map((n) => Number(n[1])),
  );
  expect([...new Set(named)].sort()).toEqual(failing.sort());
  // Every note's division is named: under ⚠️ when possibly worse, else under ℹ️.
  for (const d of gate.divisions.filter((d) => d.notes.length > 0)) {
    const mark = gate.needsReview.includes(d.division) ? '⚠️' : 'ℹ️';
    expect(reasons).toMatch(new RegExp(`^- ${mark} .*: divisions? (.*, )?${d.division}\\b`, 'm'));
  }
  // One verdict: the table and reasons are those pr.yml rendered from the same gate.
  const rendered = readFileSync(join(pull.workspace, 'report', 'gate', 'comment.md'), 'utf8');
  expect(section(body, 'Divisions')).toBe(section(rendered, 'Divisions'));
  expect(section(body, 'Gate reasons')).toBe(section(rendered, 'Gate reasons'));
  // The head SHA check asked GitHub for the PR's head before writing.
  const calls = github.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
  const check = calls.indexOf(`GET /repos/acme/opp/pulls/${pull.pr} 200`);
  expect(check).toBeGreaterThanOrEqual(0);
  expect(check).toBeLessThan(calls.indexOf(`POST /repos/acme/opp/issues/${pull.pr}/comments 201`));
  expect(github.violations).toEqual([]);
  return body;
}

describe("a fork's pull request: pr.yml, its artifact, pr-comment.yml", () => {
  const PR = 31;
  let pull: PullRequestRun;
  beforeAll(async () => {
    github.setPullRequest('acme', 'opp', PR, HEAD);
    pull = await runPrJob(PR, 'mallory/opp', '5100');
  }, 600_000);

  it('pr.yml trains the PR and its base on sample records, compares, gates advisory and uploads the listed reports', () => {
    expectPrRun(pull, { file: 'data/records.jsonl', source: `sample records (${SAMPLE_RECORDS}, seed 1)` });
  });

  it('pr-comment.yml posts one comment whose verdict is the gate-result.json pr.yml wrote, marked advisory and unverified', async () => {
    const { job, runnerTemp } = await runCommentJob(pull, 'fork-comment');
    const body = expectOneVerdict(pull, job, runnerTemp);
    expect(body).toMatch(/^## opp metrics gate: .* \(advisory: sample data\)$/m);
    expect(body).toContain(UNVERIFIED_NOTE);
    expect(body).toContain(advisoryNote({ gateConfig: SAMPLE_GATE }));
  }, 120_000);

  it("posts nothing when the PR's head has moved past the commit pr.yml built", async () => {
    github.setPullRequest('acme', 'opp', PR, sha('a later push'));
    const before = github.comments('acme', 'opp', PR).map((c) => c.body);
    const { job } = await runCommentJob(pull, 'fork-moved');
    expect(job.failed).toBe(true);
    expect(job.errors.join('\n')).toMatch(new RegExp(HEAD));
    expect(github.comments('acme', 'opp', PR).map((c) => c.body)).toEqual(before);
  }, 120_000);
});

/**
 * A same-repository pull request: the storage secret is set (a read-only SAS, as pr.yml's header
 * advises), so both commits train on the latest snapshot Azurite holds (made here from 3000
 * sample records ingested into the record table) and are gated with configs/gate.json.
 */
describe('a same-repository pull request: the latest snapshot, the real gate, not advisory', () => {
  const PR = 32;
  let pull: PullRequestRun;
  let snapshotId: string;
  beforeAll(async () => {
    const source = await startSourceFixture(Number(SAMPLE_RECORDS), 1);
    try {
      const { prefix, clients } = await azurite.freshStorage();
      await runBackfill(source.clients(clients), new Date('2020-01-01T00:00:00Z'), AFTER_ALL, {
        windowMs: 366 * 86_400_000,
        concurrency: 2,
      });
      snapshotId = (await createSnapshot(clients, SPEC)).snapshotId;
      github.setPullRequest('acme', 'opp', PR, HEAD);
      pull = await runPrJob(PR, 'acme/opp', '5200', {
        connectionString: readOnlyConnectionString(azurite.instance),
        prefix,
      });
    } finally {
      await source.stop();
    }
  }, 600_000);

  it('pr.yml trains both commits on the downloaded snapshot and gates them with configs/gate.json', () => {
    const gate = expectPrRun(pull, { file: 'data/train.csv', source: `snapshot ${snapshotId}` });
    // configs/gate.json's bounds, not the sample-data gate's (which has no accuracy bound).
    const config = readJson<{ minimum: { accuracy: number }; nonInferiority: { auc: { margin: number } } }>(
      join(ROOT, 'configs', 'gate.json'),
    );
    const general = gate.divisions.find((d) => d.division === 0)!;
    expect(general.checks).toContainEqual(
      expect.objectContaining({ kind: 'minimum', metric: 'accuracy', bound: config.minimum.accuracy }),
    );
    expect(gate.nonInferiority?.margin).toBe(config.nonInferiority.auc.margin);
    expect(readFileSync(join(pull.workspace, 'report', 'gate', 'comment.md'), 'utf8')).not.toContain(
      'advisory',
    );
  });

  it('pr-comment.yml posts the verdict pr.yml wrote, neither advisory nor unverified', async () => {
    const { job, runnerTemp } = await runCommentJob(pull, 'same-repo-comment');
    const body = expectOneVerdict(pull, job, runnerTemp);
    expect(body).toMatch(
      /^## opp metrics gate: (✅ passed|❌ failed)( · ⚠️ \d+ divisions? possibly worse)?$/m,
    );
    expect(body).not.toContain('unverified');
    expect(body).not.toContain('Advisory: sample data');
  }, 120_000);
});
