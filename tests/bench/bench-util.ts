import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../../model/training/dataset.js';
import { compileFeatureSpec } from '../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../pipeline/features/feature-spec.js';
import { generateSampleRecords } from '../../pipeline/sources/sample-records.js';
import { defaultConfigPath, PACKAGE_ROOT } from '../../pipeline/util/package-root.js';

/** `../shared` beside the repository: anchors and data sets. */
export const SHARED = join(PACKAGE_ROOT, '..', 'shared');
export const PYTHON = '/usr/bin/python3';
export const RESULTS = join(PACKAGE_ROOT, 'tests', 'bench', 'RESULTS.md');

/** Sample records through the default spec: features, labels and the true probabilities. */
export function sampleData(n: number, seed: number): { data: Dataset; names: string[]; truth: Float64Array } {
  const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));
  const x: number[] = [];
  const y: number[] = [];
  const truth: number[] = [];
  for (const record of generateSampleRecords({ n, seed })) {
    const result = spec.extract(record);
    if (result.status !== 'kept') continue;
    x.push(...result.row.features);
    y.push(result.row.label);
    truth.push(record._sample.p);
  }
  const d = spec.featureNames.length;
  return {
    data: { rows: y.length, features: d, x: Float32Array.from(x), y: Uint8Array.from(y) },
    names: [...spec.featureNames],
    truth: Float64Array.from(truth),
  };
}

/** Writes a numeric CSV (features, then the label, then optional extra columns) for Python. */
export function writeNumericCsv(
  file: string,
  data: Dataset,
  names: readonly string[],
  extra: Record<string, ArrayLike<number>> = {},
): void {
  const lines = [[...names, 'action_taken', ...Object.keys(extra)].join(',')];
  const columns = Object.values(extra);
  for (let r = 0; r < data.rows; r++) {
    const cells: (number | string)[] = Array.from(
      data.x.subarray(r * data.features, (r + 1) * data.features),
    );
    cells.push(data.y[r]!);
    for (const c of columns) cells.push(c[r]!);
    lines.push(cells.join(','));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** Runs a Python script and parses the last JSON line it prints; undefined (with a note) if it cannot run. */
export function runPython(
  args: string[],
  env: Record<string, string> = {},
): Record<string, unknown> | undefined {
  if (!existsSync(PYTHON)) {
    console.log(`  (skipped: ${PYTHON} not found)`);
    return undefined;
  }
  const result = spawnSync(PYTHON, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 1 << 26,
  });
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    console.log(
      `  (python failed: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')})`,
    );
    return undefined;
  }
}

/** Replaces (or appends) the section `## title` of RESULTS.md with `body`. */
export function writeResultsSection(title: string, body: string): void {
  const heading = `## ${title}`;
  const text = existsSync(RESULTS)
    ? readFileSync(RESULTS, 'utf8')
    : '# Benchmark results\n\nWritten by the `npm run bench:*` scripts; each section says how it was produced.\n';
  const start = text.indexOf(heading);
  let next = start < 0 ? -1 : text.indexOf('\n## ', start + heading.length);
  if (next < 0) next = text.length;
  const section = `${heading}\n\n${body.trim()}\n`;
  const updated =
    start < 0
      ? `${text.trimEnd()}\n\n${section}`
      : `${text.slice(0, start)}${section}${text.slice(next).replace(/^\n*/, '\n')}`;
  writeFileSync(RESULTS, `${updated.trimEnd()}\n`);
}
