import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../actions/metrics-gate/src/main.js';
import { METRICS_COMMENT_MARKER } from '../../pipeline/reports/pr-comment.js';
import { type ActionHarness, createActionHarness } from '../support/action-run.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.js';
import { metricsReport, modelReport } from '../support/metrics-fixtures.js';
import { type JobRun, readJobSteps, runJobSteps } from '../support/workflow-run.js';

/**
 * The hostile-artifact suite of pr-comment.yml (issue 19, items 1 and 2): the job's steps, as
 * written in the YAML, run on artifacts a fork could upload. Nothing in them may execute, the
 * job must fail naming the file, and no comment may be posted.
 */

const WORKFLOW = '.github/workflows/pr-comment.yml';
const HEAD = 'a'.repeat(40);
const PR = 7;
const ACTION_DIR = 'actions/metrics-gate';
const ZWSP = '\u200b';

let harness: ActionHarness;
let github: FakeGitHub;
let dir: string;
let marker: string;
/** A file the hostile code would add to the action's dist/ (removed again if it ever appears). */
let planted: string;

beforeAll(() => {
  harness = createActionHarness();
});
afterAll(() => harness.dispose());
beforeEach(async () => {
  github = await startFakeGitHub();
  github.setPullRequest('acme', 'opp', PR, HEAD);
  dir = mkdtempSync(join(tmpdir(), 'opp-pr-comment-'));
  marker = join(dir, 'hostile-code-ran');
  planted = join(ACTION_DIR, 'dist', `planted-${process.pid}-${Date.now()}.js`);
});
afterEach(async () => {
  rmSync(planted, { force: true });
  rmSync(dir, { recursive: true, force: true });
  await github.close();
});

/** JavaScript that, if anything ever runs it, leaves a marker and plants a file in the action. */
function hostileJs(): string {
  return [
    `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');`,
    `require('node:fs').writeFileSync(${JSON.stringify(resolve(planted))}, 'console.log("pwned")');`,
    `module.exports = { number: ${PR}, headSha: ${JSON.stringify(HEAD)} };`,
  ].join('\n');
}

const prJson = (extra: Record<string, unknown> = {}) => ({
  number: PR,
  headSha: HEAD,
  data: 'sample',
  ...extra,
});
const candidate = (extra = {}) =>
  metricsReport([modelReport(0, {}, { name: 'general' })], { gitSha: HEAD, ...extra });

/** An artifact folder: file path → JSON value, raw text, or a function that builds the entry. */
type Entry = unknown | string | ((path: string) => void);
function writeArtifact(root: string, entries: Record<string, Entry>): void {
  mkdirSync(root, { recursive: true });
  for (const [name, entry] of Object.entries(entries)) {
    const path = join(root, name);
    mkdirSync(join(path, '..'), { recursive: true });
    if (typeof entry === 'function') (entry as (path: string) => void)(path);
    else writeFileSync(path, typeof entry === 'string' ? entry : JSON.stringify(entry));
  }
}

/** Hash of every file under the action's folder (src, dist, action.yml). */
function hashAction(): string {
  const hash = createHash('sha256');
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(path).update(readFileSync(path));
    }
  };
  walk(ACTION_DIR);
  return hash.digest('hex');
}

/** Runs the workflow's comment job on the artifact `entries`, as a fork's (or the base repo's) run. */
async function runJob(entries: Record<string, Entry>, options: { fork?: boolean } = {}): Promise<JobRun> {
  const staged = join(dir, 'uploaded');
  writeArtifact(staged, entries);
  const runnerTemp = join(dir, 'runner-temp');
  mkdirSync(runnerTemp, { recursive: true });
  const event = join(dir, 'event.json');
  writeFileSync(event, JSON.stringify({ workflow_run: { id: 4242, head_sha: HEAD } }));
  return runJobSteps(readJobSteps(WORKFLOW, 'comment'), {
    harness,
    runnerTemp,
    context: {
      'runner.temp': runnerTemp,
      'github.token': 'test-token',
      'github.repository': 'acme/opp',
      'github.event.workflow_run.id': '4242',
      'github.event.workflow_run.head_sha': HEAD,
      'github.event.workflow_run.html_url': 'https://github.test/acme/opp/actions/runs/4242',
      'github.event.workflow_run.head_repository.full_name':
        options.fork === false ? 'acme/opp' : 'mallory/opp',
    },
    env: {
      GITHUB_REPOSITORY: 'acme/opp',
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: 'https://github.test',
      GITHUB_RUN_ID: '4243',
      GITHUB_EVENT_PATH: event,
    },
    localActions: { [`./${ACTION_DIR}`]: run },
    remoteActions: {
      // The job's own checkout is this repository: nothing to do.
      'actions/checkout': () => {},
      // What download-artifact does: the uploaded files, links kept as links, at `path`.
      'actions/download-artifact': (inputs) => {
        expect(inputs.name).toBe('opp-metrics-report');
        expect(inputs['run-id']).toBe('4242');
        const rel = relative(process.cwd(), resolve(inputs.path!));
        expect(rel.startsWith('..'), `artifact downloaded inside the checkout: ${inputs.path}`).toBe(true);
        cpSync(staged, inputs.path!, { recursive: true, verbatimSymlinks: true });
      },
    },
  });
}

interface HostileCase {
  what: string;
  entries: () => Record<string, Entry>;
  /** What the job's error must say (it names the file). */
  error: RegExp;
}

const hostile: HostileCase[] = [
  {
    what: 'pr.json.js in place of pr.json (require would run it)',
    entries: () => ({ 'pr.json.js': hostileJs(), 'candidate/metrics.json': candidate() }),
    error: /artifact file pr\.json: is missing/,
  },
  {
    what: 'pr.json/index.js: a folder where pr.json belongs (require would run its index.js)',
    entries: () => ({ 'pr.json/index.js': hostileJs(), 'candidate/metrics.json': candidate() }),
    error: /artifact file pr\.json: is a folder, not a file/,
  },
  {
    what: 'pr.json and pr.json.js side by side, pr.json broken',
    entries: () => ({ 'pr.json': '{', 'pr.json.js': hostileJs(), 'candidate/metrics.json': candidate() }),
    error: /artifact file pr\.json: is not valid JSON/,
  },
  {
    what: 'pr.json a symbolic link to /etc/passwd',
    entries: () => ({
      'pr.json': (path: string) => symlinkSync('/etc/passwd', path),
      'candidate/metrics.json': candidate(),
    }),
    error: /artifact file pr\.json: is a symbolic link: refused/,
  },
  {
    what: 'a 100 MB pr.json',
    entries: () => ({ 'pr.json': (path: string) => sparse(path), 'candidate/metrics.json': candidate() }),
    error: /artifact file pr\.json: is 104857600 bytes, over the 4096-byte limit/,
  },
  {
    what: 'a 100 MB candidate/metrics.json',
    entries: () => ({ 'pr.json': prJson(), 'candidate/metrics.json': (path: string) => sparse(path) }),
    error: /artifact file candidate\/metrics\.json: is 104857600 bytes, over the 8388608-byte limit/,
  },
  {
    what: 'pr.json that is not JSON',
    entries: () => ({ 'pr.json': 'number=7\n', 'candidate/metrics.json': candidate() }),
    error: /artifact file pr\.json: is not valid JSON/,
  },
  ...[-3, 0, 1.5, '7', 2 ** 53].map((number) => ({
    what: `pr.json with number ${JSON.stringify(number)}`,
    entries: () => ({ 'pr.json': prJson({ number }), 'candidate/metrics.json': candidate() }),
    error: /artifact file pr\.json: does not match its schema:\n\s+\$\.number/,
  })),
  {
    what: 'pr.json naming another head commit than the run built',
    entries: () => ({
      'pr.json': prJson({ headSha: 'b'.repeat(40) }),
      'candidate/metrics.json': candidate(),
    }),
    error: /artifact file pr\.json: headSha b{40} is not the head-sha input a{40}/,
  },
  {
    what: 'the candidate folder a symbolic link to a folder outside the artifact',
    entries: () => ({
      'pr.json': prJson(),
      elsewhere: (path: string) => writeArtifact(path, { 'metrics.json': candidate() }),
      candidate: (path: string) => symlinkSync(join(path, '..', 'elsewhere'), path),
    }),
    error: /artifact file candidate\/metrics\.json: folder candidate is a symbolic link: refused/,
  },
  {
    what: 'candidate/metrics.json a symbolic link',
    entries: () => ({
      'pr.json': prJson(),
      'real.json': candidate(),
      'candidate/metrics.json': (path: string) => symlinkSync(join(path, '..', '..', 'real.json'), path),
    }),
    error: /artifact file candidate\/metrics\.json: is a symbolic link: refused/,
  },
  {
    what: 'baseline/metrics.json a folder with index.js, and baseline/metrics.json.js',
    entries: () => ({
      'pr.json': prJson(),
      'candidate/metrics.json': candidate(),
      'baseline/metrics.json/index.js': hostileJs(),
      'baseline/metrics.json.js': hostileJs(),
    }),
    error: /artifact file baseline\/metrics\.json: is a folder, not a file/,
  },
  {
    what: 'comparison.json a symbolic link to /etc/passwd',
    entries: () => ({
      'pr.json': prJson(),
      'candidate/metrics.json': candidate(),
      'comparison.json': (path: string) => symlinkSync('/etc/passwd', path),
    }),
    error: /artifact file comparison\.json: is a symbolic link: refused/,
  },
  {
    what: 'a candidate report whose git SHA is markup',
    entries: () => ({
      'pr.json': prJson(),
      'candidate/metrics.json': candidate({ gitSha: '<img src=x onerror=alert(1)>' }),
    }),
    error: /artifact file candidate\/metrics\.json: does not match its schema:\n\s+\$\.gitSha/,
  },
];

/** A 100 MB file of zeros that takes no disk space. */
function sparse(path: string): void {
  writeFileSync(path, '');
  truncateSync(path, 100 * 1024 * 1024);
}

describe('pr-comment.yml on a hostile artifact', () => {
  it.each(hostile)('$what: nothing runs, the job fails naming the file, no comment', async (hostileCase) => {
    const before = hashAction();
    const job = await runJob(hostileCase.entries());
    expect(existsSync(marker), 'the hostile code ran').toBe(false);
    expect(existsSync(planted), 'a file was planted in the action').toBe(false);
    expect(hashAction()).toBe(before);
    expect(job.failed).toBe(true);
    expect(job.errors.join('\n')).toMatch(hostileCase.error);
    expect(github.comments('acme', 'opp', PR)).toHaveLength(0);
    expect(github.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
  });
});

describe('pr-comment.yml on a genuine artifact', () => {
  it("posts the comment on the artifact's pull request, marks a fork's metrics unverified and escapes its text", async () => {
    const report = metricsReport(
      [
        modelReport(0, {}, { name: '<img src=x onerror=alert(1)>' }),
        modelReport(1, {}, { name: '[link](http://evil.example) @org/team' }),
      ],
      { gitSha: HEAD },
    );
    const baseline = metricsReport([modelReport(0), modelReport(1)], { gitSha: 'b'.repeat(40) });
    const job = await runJob({
      'pr.json': prJson(),
      'candidate/metrics.json': report,
      'baseline/metrics.json': baseline,
      'pr.json.js': hostileJs(),
    });
    expect(job.errors).toEqual([]);
    expect(job.failed).toBe(false);
    expect(existsSync(marker)).toBe(false);
    const comments = github.comments('acme', 'opp', PR);
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(body.startsWith(METRICS_COMMENT_MARKER)).toBe(true);
    expect(body).toContain("metrics from a fork's artifact are unverified");
    expect(body).toContain('a **model trained from the base commit** `bbbbbbb`');
    expect(body).not.toMatch(/<img|\]\(http:\/\/evil|http:\/\/evil|@org/);
    expect(body).toContain('&lt;img src=x onerror=alert\\(1\\)&gt;');
    expect(body).toContain(`@${ZWSP}org/team`);
  });

  it("posts the gate's own verdict from comparison.json: the interval, the non-inferiority rule and the base commit", async () => {
    const auc = (
      d: number,
      candidateAuc: number,
      productionAuc: number,
      low: number,
      high: number,
      se: number,
    ) => {
      const estimate = candidateAuc - productionAuc;
      const set = (value: number) => modelReport(d, { auc: value }).test!;
      return {
        division: d,
        name: d === 0 ? 'general' : `division-${d}`,
        candidate: set(candidateAuc),
        production: set(productionAuc),
        deltas: {
          accuracy: 0,
          precision: 0,
          recall: 0,
          f1: 0,
          auc: estimate,
          prAuc: 0,
          brier: 0,
          logLoss: 0,
        },
        aucDifference: { estimate, interval: { low, high, level: 0.95 }, resamples: 1000, seed: 0 },
        aucDelong: { method: 'delong-paired', estimate, se, pValue: 0.1 },
        verdict: 'no-real-change',
      };
    };
    const comparison = {
      version: 1,
      createdAt: '2026-11-25T09:00:00.000Z',
      candidate: { gitSha: HEAD },
      comparison: { source: 'base-commit', gitSha: 'c'.repeat(40) },
      divisions: [auc(0, 0.75, 0.748, -0.004, 0.008, 0.003), auc(6, 0.7171, 0.7351, -0.04, 0.003, 0.011)],
    };
    const report = metricsReport([modelReport(0), modelReport(6, { auc: 0.7171 })], { gitSha: HEAD });
    const job = await runJob(
      {
        'pr.json': prJson({ data: 'sample records (20000, seed 1)' }),
        'candidate/metrics.json': report,
        'baseline/metrics.json': metricsReport([modelReport(0), modelReport(6, { auc: 0.7351 })]),
        'comparison.json': comparison,
      },
      { fork: true },
    );
    expect(job.errors).toEqual([]);
    expect(job.failed).toBe(false);
    const body = github.comments('acme', 'opp', PR)[0]!.body;
    // The sample-data gate's margin is 0.02: −0.018 is within it, too small to tell, no warning.
    expect(body).toContain('## opp metrics gate: ✅ passed (advisory: sample data)\n');
    // pr.json's data text says what both models trained on: sample records, not a snapshot.
    expect(body).toContain(
      'a **model trained from the base commit** `ccccccc` on the same data and seed (sample records \\(20000, seed 1\\); no registry reachable)',
    );
    expect(body).not.toContain('same snapshot');
    expect(body).toContain(
      '| 6 division-6 | 0.717 | −0.018 [−0.040, +0.003] | 0.031 | too small to tell | ✅ pass |',
    );
    expect(body).toContain('| 0 general | 0.750 | +0.002 [−0.004, +0.008] | 0.008 | no worse | ✅ pass |');
    expect(body).toContain(
      'Holm-corrected across 2 divisions, using the paired DeLong test (DeLong et al. 1988)',
    );
    expect(body).not.toMatch(/dropped 0\.0180 below production/);
  });

  it('does not call a same-repository pull request unverified', async () => {
    const job = await runJob({ 'pr.json': prJson(), 'candidate/metrics.json': candidate() }, { fork: false });
    expect(job.failed).toBe(false);
    const body = github.comments('acme', 'opp', PR)[0]!.body;
    expect(body).toContain('## opp metrics gate: ✅ passed');
    expect(body).not.toContain('unverified');
  });
});
