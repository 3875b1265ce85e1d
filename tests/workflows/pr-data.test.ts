import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFeatureSpec } from '../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../pipeline/features/feature-spec.js';
import { createSnapshot } from '../../pipeline/ingestion/snapshot.js';
import { defaultConfigPath } from '../../pipeline/util/package-root.js';
import { readOnlyConnectionString, useAzurite } from '../support/azurite.js';
import { readJob, runJobSteps } from '../support/workflow-run.js';

/**
 * pr.yml's data step (issue 25) with the secret its header advises: a read-only SAS connection
 * string (read and list). It must read the latest snapshot, never create one (a write, 403).
 */

const ROOT = resolve('.');
const azurite = useAzurite();
let dir: string;
let workspace: string;
let readOnly: string;
let prefix: string;
let snapshotId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opp-pr-data-'));
  workspace = join(dir, 'workspace');
  mkdirSync(workspace);
  // The step runs the built CLI of the checkout after npm ci: build/ and configs copied (the CLI
  // runs only as the file it is, not through a link), node_modules linked.
  for (const name of ['build', 'configs', 'package.json'])
    cpSync(join(ROOT, name), join(workspace, name), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(workspace, 'node_modules'));
  const fresh = await azurite.freshStorage();
  prefix = fresh.prefix;
  const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));
  snapshotId = (await createSnapshot(fresh.clients, spec)).snapshotId;
  readOnly = readOnlyConnectionString(azurite.instance);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pr.yml data step with a read-only SAS', () => {
  it('downloads the latest snapshot made with the spec, creating nothing', async () => {
    const { steps, env } = readJob('.github/workflows/pr.yml', 'metrics');
    const runnerTemp = join(dir, 'runner-temp');
    mkdirSync(runnerTemp, { recursive: true });
    const job = await runJobSteps(
      steps.filter((step) => step.id === 'data'),
      {
        workspace,
        runnerTemp,
        jobEnv: env,
        context: { 'secrets.OPP_STORAGE_CONNECTION_STRING': readOnly, 'vars.OPP_STORAGE_PREFIX': prefix },
        env: { HOME: join(dir, 'home') },
        remoteActions: {},
      },
    );
    expect(job.errors, job.output).toEqual([]);
    expect(job.failed).toBe(false);
    expect(job.outputs.data).toEqual({ file: 'data/train.csv', source: `snapshot ${snapshotId}` });
    const csv = readFileSync(join(workspace, 'data', 'train.csv'));
    expect(execFileSync('sha256sum', { input: csv, encoding: 'utf8' }).split(' ')[0]).toBe(snapshotId);
  }, 60_000);

  it('is refused creating a snapshot (what the step did before: a write)', () => {
    const child = spawnSync(process.execPath, ['build/pipeline/cli/opp.js', 'snapshot', '--json'], {
      cwd: workspace,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: join(dir, 'home'),
        OPP_STORAGE_CONNECTION_STRING: readOnly,
        OPP_STORAGE_PREFIX: prefix,
      },
      encoding: 'utf8',
    });
    expect(child.status, child.stdout + child.stderr).not.toBe(0);
    expect(child.stderr).toMatch(/403|AuthorizationPermissionMismatch|not authorized/i);
  }, 60_000);
});
