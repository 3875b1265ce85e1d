import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';
import { readDockerfile } from '../../support/dockerfile.js';

/** The Dockerfiles built with the repository root as their context. */
const DOCKERFILES = [
  'pipeline/azureml/environment/Dockerfile',
  'pipeline/azureml/environment/Dockerfile.gpu',
  'model/server/container/Dockerfile',
];

/** A .dockerignore pattern (`*`, `**`, `?`, leading `!`) as docker matches it: the whole path. */
function matcher(pattern: string): RegExp {
  const body = pattern
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .map((part) =>
      part === '**'
        ? '(?:.*)'
        : part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
    )
    .join('/')
    .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
  return new RegExp(`^${body}$`);
}

/** Whether docker leaves `path` (or a folder above it) out of the context: the last match wins. */
function ignored(path: string, patterns: string[]): boolean {
  const parts = path.replace(/\/+$/, '').split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let out = false;
  for (const line of patterns) {
    const negated = line.startsWith('!');
    const re = matcher(negated ? line.slice(1) : line);
    if (prefixes.some((p) => re.test(p))) out = !negated;
  }
  return out;
}

const patterns = () =>
  readFileSync(join(PACKAGE_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

describe('.dockerignore', () => {
  it('leaves the host’s dependencies, git, tests, coverage and opp state out of the build context', () => {
    expect(existsSync(join(PACKAGE_ROOT, '.dockerignore'))).toBe(true);
    for (const path of [
      'node_modules',
      'node_modules/@tensorflow/tfjs/package.json',
      'actions/train/node_modules/x',
      '.git/HEAD',
      '.opp/runs/1.json',
      'tests/pipeline/cli/serve.test.ts',
      'coverage/index.html',
      'npm-debug.log',
    ]) {
      expect(ignored(path, patterns()), path).toBe(true);
    }
  });

  it('keeps everything each Dockerfile copies from the context', () => {
    for (const dockerfile of DOCKERFILES) {
      for (const { keyword, args } of readDockerfile(dockerfile)) {
        if (keyword !== 'COPY' || args.startsWith('--from')) continue;
        const sources = args.split(/\s+/).slice(0, -1);
        for (const source of sources) {
          expect(ignored(source, patterns()), `${dockerfile}: COPY ${source}`).toBe(false);
          expect(existsSync(join(PACKAGE_ROOT, source)), `${dockerfile}: COPY ${source}`).toBe(true);
        }
      }
      // What the image's build runs on: the WASM kernels' sources and the compiled CLI.
      for (const path of [
        'model/engine/assembly/mlp.ts',
        'build/pipeline/cli/opp.js',
        'configs/divisions.json',
      ]) {
        expect(ignored(path, patterns()), path).toBe(false);
      }
    }
  });
});
