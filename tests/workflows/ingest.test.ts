import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useAzurite } from '../support/azurite.js';
import {
  checkoutWorkingTree,
  type JobRun,
  npmCiStandIn,
  readJob,
  runJobSteps,
  type WorkflowStep,
} from '../support/workflow-run.js';

/**
 * ingest.yml's dry run (issue 25): no storage secret, no index endpoint. The job's steps run as
 * written, on a fresh checkout of this working tree (tracked and untracked, not ignored files:
 * no node_modules, no build/), the ingest action from its committed dist/ in a child process.
 *
 * Stand-ins: checkout copies the working tree into the workspace; setup-node records the
 * version asked for (the test's own Node runs the steps); `npm ci` links this repository's
 * node_modules into the workspace ({@link npmCiStandIn}: what a real `npm ci` installs, without
 * the 40 s and the registry), so a job without an `npm ci` step has no node_modules, as on a
 * runner.
 */

const ROOT = resolve('.');
const azurite = useAzurite();

let dir: string;
let workspace: string;
let nodeVersions: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'opp-ingest-yml-'));
  workspace = join(dir, 'workspace');
  mkdirSync(workspace);
  nodeVersions = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** ingest.yml's job, as a scheduled run; backfill.yml's, dispatched for 2021 in quarters. */
const JOBS = {
  ingest: { file: '.github/workflows/ingest.yml', context: { 'github.event_name': 'schedule' } },
  backfill: {
    file: '.github/workflows/backfill.yml',
    context: {
      'github.event_name': 'workflow_dispatch',
      'inputs.from': '2021-01-01',
      'inputs.to': '2022-01-01',
      'inputs.concurrency': '2',
      'inputs.window': '91d',
    },
  },
} as const;

async function runIngestJob(
  name: keyof typeof JOBS,
  edit: (steps: WorkflowStep[]) => WorkflowStep[] = (s) => s,
  secrets: Record<string, string> = {},
): Promise<JobRun> {
  const { steps, env } = readJob(JOBS[name].file, name);
  const runnerTemp = join(dir, 'runner-temp');
  mkdirSync(runnerTemp, { recursive: true });
  return runJobSteps(edit(steps), {
    workspace,
    runnerTemp,
    jobEnv: env,
    // No secrets or variables configured (all read as '').
    context: { ...JOBS[name].context, ...secrets },
    env: { HOME: join(dir, 'home'), GITHUB_REPOSITORY: 'acme/opp', GITHUB_RUN_ID: '1' },
    remoteActions: {
      'actions/checkout': () => checkoutWorkingTree(ROOT, workspace),
      'actions/setup-node': (inputs) => {
        nodeVersions.push(inputs['node-version'] ?? '');
      },
    },
    runStandIns: [npmCiStandIn(ROOT)],
  });
}

describe('ingest.yml and backfill.yml without secrets (dry runs on sample records and a local Azurite)', () => {
  it('ingest.yml installs the packages, then ingests the sample records into the Azurite it starts', async () => {
    const job = await runIngestJob('ingest');
    expect(job.errors).toEqual([]);
    expect(job.failed).toBe(false);
    expect(nodeVersions).toEqual(['24']);
    expect(job.output).toMatch(/started Azurite \(pid \d+\)/);
    expect(job.summary).toContain('## opp ingest');
    expect(job.summary).toMatch(/\| listed \| 10000 \|/);
  }, 120_000);

  it('backfill.yml installs the packages, then backfills the range in windows', async () => {
    const job = await runIngestJob('backfill');
    expect(job.errors).toEqual([]);
    expect(job.failed).toBe(false);
    expect(nodeVersions).toEqual(['24']);
    expect(job.output).toMatch(/started Azurite \(pid \d+\)/);
    expect(job.summary).toContain('## opp backfill');
    expect(job.summary).toMatch(/\| windows \| 5 \\\(0 already done/);
    expect(job.summary).toMatch(/\| listed \| [1-9]\d* \|/);
  }, 120_000);

  it('ingest.yml with the storage secret installs nothing (Azurite is not needed) and ingests into that storage', async () => {
    const { prefix } = await azurite.freshStorage();
    const job = await runIngestJob('ingest', undefined, {
      'secrets.OPP_STORAGE_CONNECTION_STRING': azurite.instance.connectionString,
      'vars.OPP_STORAGE_PREFIX': prefix,
    });
    expect(job.errors).toEqual([]);
    expect(job.failed).toBe(false);
    expect(job.output).not.toContain('[stand-in for: npm ci');
    expect(existsSync(join(workspace, 'node_modules'))).toBe(false);
    expect(job.output).not.toMatch(/started Azurite/);
    expect(job.summary).toMatch(/\| listed \| 10000 \|/);
  }, 120_000);

  it.each(['ingest', 'backfill'] as const)(
    '%s fails naming Azurite when the job installs nothing (what the workflow did before)',
    async (name) => {
      const job = await runIngestJob(name, (steps) =>
        steps.filter((step) => !step.run?.startsWith('npm ci')),
      );
      expect(job.failed).toBe(true);
      expect(job.failedStep).toBe(name === 'ingest' ? 'Ingest' : 'Backfill');
      expect(job.errors.join('\n')).toContain("Cannot find module 'azurite/package.json'");
    },
    60_000,
  );
});
