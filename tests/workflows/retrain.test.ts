import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkoutWorkingTree,
  jobOutputs,
  npmCiStandIn,
  readJob,
  readJobSteps,
  runJobSteps,
} from '../support/workflow-run.js';

const WORKFLOW = '.github/workflows/retrain.yml';
const ROOT = resolve('.');

/** retrain.yml (issue 25): an unchanged snapshot registers no new candidate every week. */
describe('retrain.yml registration', () => {
  it("registers with the snapshot job's id and skips a snapshot a live version was trained on", () => {
    const register = readJobSteps(WORKFLOW, 'gate-register').find(
      (step) => step.uses === './actions/register',
    );
    expect(register?.with).toMatchObject({ 'skip-same-snapshot': 'true', stage: 'candidate' });
    expect(register?.with?.['snapshot-id']).toMatch(/^\$\{\{ needs\.snapshot\.outputs\.snapshot-id \}\}$/);
  });
});

/**
 * The snapshot job rehearsed on a fresh checkout, without the storage secret (so on the local
 * Azurite opp starts): checkout and setup-node stood in, `npm ci` by {@link npmCiStandIn}.
 */
describe('retrain.yml snapshot job', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'opp-retrain-yml-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('snapshots the record table, plans one training job and uploads the snapshot CSV', async () => {
    const workspace = join(dir, 'workspace');
    const runnerTemp = join(dir, 'runner-temp');
    mkdirSync(workspace);
    mkdirSync(runnerTemp);
    const { steps, env, outputs } = readJob(WORKFLOW, 'snapshot');
    const uploads: Record<string, string>[] = [];
    const nodeVersions: string[] = [];
    const context = { 'github.event_name': 'schedule' };
    const job = await runJobSteps(steps, {
      workspace,
      runnerTemp,
      jobEnv: env,
      context,
      env: { HOME: join(dir, 'home') },
      remoteActions: {
        'actions/checkout': () => checkoutWorkingTree(ROOT, workspace),
        'actions/setup-node': (inputs) => nodeVersions.push(inputs['node-version'] ?? ''),
        'actions/upload-artifact': (inputs) => {
          uploads.push(inputs);
          return existsSync(join(workspace, inputs.path!));
        },
      },
      runStandIns: [npmCiStandIn(ROOT)],
    });
    expect(job.errors, job.output).toEqual([]);
    expect(job.failed).toBe(false);
    expect(nodeVersions).toEqual(['24']);
    const results = jobOutputs(outputs, job, context);
    expect(results.divisions).toBe('["all"]');
    expect(results['snapshot-id']).toMatch(/^[0-9a-f]{64}$/);
    const csv = readFileSync(join(workspace, 'snapshot', 'snapshot.csv'));
    expect(createHash('sha256').update(csv).digest('hex')).toBe(results['snapshot-id']);
    expect(uploads).toEqual([expect.objectContaining({ name: 'snapshot', path: 'snapshot/' })]);
  }, 120_000);
});
