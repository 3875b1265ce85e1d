import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layers (README, Layout), from the bottom:
 * - base: pipeline/{errors,util,config,features,records,io}: imports only base;
 * - model: model/: imports model and base;
 * - services: the rest of pipeline/ (storage, ingestion, registry, deployment, gate, reports…):
 *   imports base, model and services;
 * - faces: pipeline/cli, pipeline/demo and actions/: import anything below, not each other
 *   (`opp demo`, the CLI's command, starts the demo: the one face another may call).
 * Read from the sources' relative import specifiers, so the picture stays true.
 */
type Layer = 'base' | 'model' | 'services' | 'faces';

const ROOT = resolve('.');
const BASE = new Set(['errors', 'util', 'config', 'features', 'records', 'io']);
const FACES = new Set(['cli', 'demo']);
const BELOW: Record<Layer, readonly Layer[]> = {
  base: ['base'],
  model: ['model', 'base'],
  services: ['services', 'model', 'base'],
  faces: ['services', 'model', 'base'],
};

/** The layer of a repository path, or undefined outside the three code folders. */
function layerOf(path: string): Layer | undefined {
  const [top, second] = path.split('/');
  if (top === 'model') return 'model';
  if (top === 'actions') return 'faces';
  if (top !== 'pipeline' || second === undefined) return undefined;
  if (BASE.has(second)) return 'base';
  if (FACES.has(second)) return 'faces';
  return 'services';
}

/** Why an import from `from` to `to` (repository paths) breaks the layering, or undefined. */
function layerViolation(from: string, to: string): string | undefined {
  const source = layerOf(from);
  const target = layerOf(to);
  if (source === undefined || target === undefined) return undefined;
  if (source === 'faces' && target === 'faces') {
    const sameFace = from.split('/').slice(0, 2).join('/') === to.split('/').slice(0, 2).join('/');
    const actionsShared = from.startsWith('actions/') && to.startsWith('actions/');
    const cliStartsDemo = from.startsWith('pipeline/cli/') && to.startsWith('pipeline/demo/');
    return sameFace || actionsShared || cliStartsDemo ? undefined : `${from} -> ${to}`;
  }
  return BELOW[source].includes(target) ? undefined : `${from} (${source}) -> ${to} (${target})`;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .filter((path) => !path.includes('/dist/') && !path.includes('/assembly/'));
}

/** Every relative import (static, re-export, dynamic) of the code folders, as repository paths. */
function imports(): { from: string; to: string }[] {
  const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
  return ['model', 'pipeline', 'actions'].flatMap(sourceFiles).flatMap((from) =>
    [...readFileSync(join(ROOT, from), 'utf8').matchAll(specifier)].map((m) => ({
      from,
      to: normalize(join(dirname(from), m[1]!)).replace(/\.js$/, '.ts'),
    })),
  );
}

describe('the layers', () => {
  const all = imports();

  it('reads the imports of every code folder', () => {
    expect(new Set(all.map((i) => layerOf(i.from)))).toEqual(new Set(['base', 'model', 'services', 'faces']));
    expect(all.length).toBeGreaterThan(1000);
  });

  it('has no import that points up a layer, nor one from a face to another face', () => {
    const violations = [
      ...new Set(all.map((i) => layerViolation(i.from, i.to)).filter((v) => v !== undefined)),
    ];
    expect(violations.sort()).toEqual([]);
  });

  it('names what breaks a rule', () => {
    expect(layerViolation('model/hpo/x.ts', 'pipeline/storage/y.ts')).toBe(
      'model/hpo/x.ts (model) -> pipeline/storage/y.ts (services)',
    );
    expect(layerViolation('pipeline/config/x.ts', 'model/y.ts')).toBe(
      'pipeline/config/x.ts (base) -> model/y.ts (model)',
    );
    expect(layerViolation('pipeline/registry/x.ts', 'pipeline/cli/y.ts')).toBe(
      'pipeline/registry/x.ts (services) -> pipeline/cli/y.ts (faces)',
    );
    expect(layerViolation('pipeline/demo/x.ts', 'pipeline/cli/y.ts')).toBe(
      'pipeline/demo/x.ts -> pipeline/cli/y.ts',
    );
    expect(layerViolation('actions/train/src/main.ts', 'actions/shared/inputs.ts')).toBeUndefined();
    expect(layerViolation('pipeline/cli/x.ts', 'model/y.ts')).toBeUndefined();
    expect(layerViolation('model/x.ts', 'pipeline/errors/y.ts')).toBeUndefined();
  });
});
