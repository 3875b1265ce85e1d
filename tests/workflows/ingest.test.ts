import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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

const WORKFLOW = '.github/workflows/ingest.yml';
const ROOT = resolve('.');

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

async function runIngestJob(edit: (steps: WorkflowStep[]) => WorkflowStep[] = (s) => s): Promise<JobRun> {
  const { steps, env } = readJob(WORKFLOW, 'ingest');
  const runnerTemp = join(dir, 'runner-temp');
  mkdirSync(runnerTemp, { recursive: true });
  return runJobSteps(edit(steps), {
    workspace,
    runnerTemp,
    jobEnv: env,
    // A scheduled run: no inputs, and no secrets or variables configured (all read as '').
    context: { 'github.event_name': 'schedule' },
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

describe('ingest.yml without secrets (a dry run on sample records and a local Azurite)', () => {
  it('installs the packages, then ingests the sample records into the Azurite it starts', async () => {
    const job = await runIngestJob();
    expect(job.errors).toEqual([]);
    expect(job.failed).toBe(false);
    expect(nodeVersions).toEqual(['24']);
    expect(job.output).toMatch(/started Azurite \(pid \d+\)/);
    expect(job.summary).toContain('## opp ingest');
    expect(job.summary).toMatch(/\| listed \| 10000 \|/);
  }, 120_000);

  it('fails naming Azurite when the job installs nothing (what the workflow did before)', async () => {
    const job = await runIngestJob((steps) => steps.filter((step) => !step.run?.startsWith('npm ci')));
    expect(job.failed).toBe(true);
    expect(job.failedStep).toBe('Ingest');
    expect(job.errors.join('\n')).toContain("Cannot find module 'azurite/package.json'");
  }, 60_000);
});
