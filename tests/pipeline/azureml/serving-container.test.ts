import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  AZUREML_ROUTES,
  AZUREML_SERVING_PORT,
  AZUREML_SERVING_PORT_ENV,
} from '../../../pipeline/azureml/serving-contract.js';
import { generateSampleRecords } from '../../../pipeline/sources/sample-records.js';
import { PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';
import { commandLine, finalStage, layOutImage, readDockerfile } from '../../support/dockerfile.js';
import { trainSmallOutput } from '../../support/trained-output.js';

const ENV_DIR = 'pipeline/azureml/environment';
const SERVE_SH = join(PACKAGE_ROOT, ENV_DIR, 'serve.sh');
/** The images Azure ML runs as online deployments, by the environments that build them. */
const SERVING_DOCKERFILES = [`${ENV_DIR}/Dockerfile`, `${ENV_DIR}/Dockerfile.gpu`];

let out: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  out = await trainSmallOutput();
}, 120_000);

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

const record = (() => {
  const { _sample, ...first } = [...generateSampleRecords({ n: 20, seed: 3 })].find(
    (r) => typeof r.project_size === 'number',
  )!;
  return first;
})();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** Polls `url` until it answers (the server is up) or the child exits. */
async function waitFor(url: string, child: ChildProcess, log: () => string): Promise<Response> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the container exited ${child.exitCode}: ${log()}`);
    try {
      return await fetch(url);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`no answer from ${url}: ${log()}`);
}

describe('the Azure ML serving environment (custom container contract)', () => {
  it("declares the contract's port and routes in its inference_config", () => {
    const yml = parse(readFileSync(join(PACKAGE_ROOT, ENV_DIR, 'serve-environment.yml'), 'utf8'));
    expect(yml.inference_config).toEqual({
      liveness_route: { port: AZUREML_SERVING_PORT, path: AZUREML_ROUTES.liveness.path },
      readiness_route: { port: AZUREML_SERVING_PORT, path: AZUREML_ROUTES.readiness.path },
      scoring_route: { port: AZUREML_SERVING_PORT, path: AZUREML_ROUTES.scoring.path },
    });
    expect(yml.build.dockerfile_path).toBe(`${ENV_DIR}/Dockerfile`);
    for (const dockerfile of [...SERVING_DOCKERFILES, 'model/server/container/Dockerfile']) {
      const stage = finalStage(readDockerfile(dockerfile));
      const exposed = stage.filter((i) => i.keyword === 'EXPOSE').map((i) => Number(i.args));
      expect(
        exposed.every((port) => port === AZUREML_SERVING_PORT),
        dockerfile,
      ).toBe(true);
    }
    const standalone = commandLine(finalStage(readDockerfile('model/server/container/Dockerfile')));
    expect(standalone[standalone.indexOf('--port') + 1]).toBe(String(AZUREML_SERVING_PORT));
    expect(standalone).toContain('--no-auth');
  });

  it('serve.sh runs `opp serve` on the declared port, on all interfaces, without keys of its own', () => {
    // A stand-in `opp` that prints what it was asked to run.
    const bin = mkdtempSync(join(tmpdir(), 'opp-stub-'));
    writeFileSync(join(bin, 'opp'), '#!/bin/sh\necho "$@"\n');
    chmodSync(join(bin, 'opp'), 0o755);
    const { [AZUREML_SERVING_PORT_ENV]: _, ...env } = process.env;
    const run = spawnSync('sh', [SERVE_SH], {
      encoding: 'utf8',
      env: { ...env, PATH: `${bin}:${process.env.PATH}`, AZUREML_MODEL_DIR: '/var/azureml-app/models' },
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe(`serve --host 0.0.0.0 --port ${AZUREML_SERVING_PORT} --no-auth`);
  });

  for (const dockerfile of SERVING_DOCKERFILES) {
    it(`${dockerfile}: its CMD, with Azure ML's environment, serves the mounted model on the declared routes`, async () => {
      const image = layOutImage(dockerfile);
      const cmd = commandLine(finalStage(readDockerfile(dockerfile)));
      expect(cmd).toEqual(['opp-serve-azureml']);
      // Azure ML mounts the registered model's folder under AZUREML_MODEL_DIR.
      const mount = mkdtempSync(join(tmpdir(), 'azureml-models-'));
      cpSync(out, join(mount, 'opp-general', '4'), { recursive: true });
      const port = await freePort();
      const child = spawn(cmd[0]!, cmd.slice(1), {
        cwd: image.workdir,
        env: {
          ...image.env,
          AZUREML_MODEL_DIR: mount,
          // The declared port may be taken on a shared test machine; serve.sh's default is checked above.
          [AZUREML_SERVING_PORT_ENV]: String(port),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let log = '';
      child.stdout!.on('data', (chunk) => {
        log += chunk;
      });
      child.stderr!.on('data', (chunk) => {
        log += chunk;
      });
      const base = `http://127.0.0.1:${port}`;
      const live = await waitFor(`${base}${AZUREML_ROUTES.liveness.path}`, child, () => log);
      expect(live.status).toBe(200);
      let ready = await fetch(`${base}${AZUREML_ROUTES.readiness.path}`);
      for (let i = 0; i < 100 && ready.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        ready = await fetch(`${base}${AZUREML_ROUTES.readiness.path}`);
      }
      expect(ready.status).toBe(200);
      // No key: the endpoint authenticates in front of the container.
      const scored = await fetch(`${base}${AZUREML_ROUTES.scoring.path}`, {
        method: AZUREML_ROUTES.scoring.method,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ record: { ...record, division: 0 } }),
      });
      expect(scored.status).toBe(200);
      const body = (await scored.json()) as { probability: number; model: { division: number } };
      expect(body.probability).toBeGreaterThan(0);
      expect(body.probability).toBeLessThan(1);
      expect(body.model.division).toBe(0);
      expect(log).toContain('(no authentication)');
    }, 60_000);
  }
});
