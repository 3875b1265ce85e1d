import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finalStage, layOutImage, readDockerfile } from '../../support/dockerfile.js';

const DOCKERFILE = 'pipeline/azureml/environment/Dockerfile.gpu';
const PACKAGE = '@tensorflow/tfjs-node-gpu';
const stage = finalStage(readDockerfile(DOCKERFILE));
const runs = stage
  .map((instruction, index) => ({ ...instruction, index }))
  .filter((i) => i.keyword === 'RUN');
const check = runs.find((r) => r.args.includes(`require('${PACKAGE}')`));

/** Runs the Dockerfile's check as `RUN` does (`/bin/sh -c`), in `cwd`. */
function runCheck(cwd: string, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync('/bin/sh', ['-c', check!.args], { cwd, env, encoding: 'utf8' });
}

/** A folder whose node_modules holds a stand-in tfjs-node-gpu with the given main module. */
function withStandIn(main: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'opp-gpu-check-'));
  const pkg = join(dir, 'node_modules', ...PACKAGE.split('/'));
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: PACKAGE, main: 'index.js' }));
  writeFileSync(join(pkg, 'index.js'), main);
  return dir;
}

describe('the GPU image', () => {
  it('installs tfjs-node-gpu with its install script (libtensorflow and the binding)', () => {
    const install = runs.find((r) => /\bnpm ci\b/.test(r.args))!;
    const steps = install.args.split('&&').map((s) => s.trim());
    const ci = steps.find((s) => s.startsWith('npm ci'))!;
    // Scripts off for the rest is fine only if tfjs-node-gpu's own then runs.
    if (ci.includes('--ignore-scripts')) {
      expect(steps.indexOf(`npm rebuild ${PACKAGE}`)).toBeGreaterThan(steps.indexOf(ci));
    }
  });

  it('fails its build when tfjs-node-gpu cannot be loaded: a check after the install, before CMD', () => {
    expect(check, `a RUN step in ${DOCKERFILE} that loads ${PACKAGE}`).toBeDefined();
    const install = runs.find((r) => /\bnpm ci\b/.test(r.args))!;
    const cmd = stage.findIndex((i) => i.keyword === 'CMD');
    expect(check!.index).toBeGreaterThan(install.index);
    expect(check!.index).toBeLessThan(cmd);
  });

  it("the check fails, saying why, where tfjs-node-gpu is missing (here, as in the image's WORKDIR)", () => {
    const image = layOutImage(DOCKERFILE);
    const run = runCheck(image.workdir, { ...process.env, ...image.env });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`opp GPU image: ${PACKAGE} cannot be loaded, GPU training would not run:`);
    expect(run.stderr).toContain(`Cannot find module '${PACKAGE}'`);
  });

  it('the check fails when the package is there but its native binding is not, and passes when it loads', () => {
    const noBinding = withStandIn(
      "throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: x');",
    );
    const missing = runCheck(noBinding);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(
      'cannot be loaded, GPU training would not run: The Node.js native addon',
    );

    const wrongBackend = runCheck(withStandIn("exports.getBackend = () => 'cpu';"));
    expect(wrongBackend.status).toBe(1);
    expect(wrongBackend.stderr).toContain('loaded but its backend is cpu');

    const loads = runCheck(withStandIn("exports.getBackend = () => 'tensorflow';"));
    expect(loads.stderr).toBe('');
    expect(loads.status).toBe(0);
  });
});
