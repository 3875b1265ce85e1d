import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../../model/training/dataset.js';
import { compileFeatureSpec } from '../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../pipeline/features/feature-spec.js';
import {
  generateSampleRecords,
  type Observed,
  probabilityWithoutDivision,
  trueProbability,
} from '../../pipeline/sources/sample-records.js';
import { defaultConfigPath, PACKAGE_ROOT } from '../../pipeline/util/package-root.js';

/** `../shared` beside the repository: anchors and data sets. */
export const SHARED = join(PACKAGE_ROOT, '..', 'shared');
export const PYTHON = '/usr/bin/python3';
export const RESULTS = join(PACKAGE_ROOT, 'tests', 'bench', 'RESULTS.md');

/** Reference probabilities of sample rows (see {@link sampleData}). */
export interface SampleTruth {
  /** The true probability the label was drawn from (it uses the division, not a feature). */
  p: Float64Array;
  /** The same without the drift term (segment × years since 2020). */
  pNoDrift: Float64Array;
  /** The probability given the 15 features only: the division averaged out. */
  pFeatures: Float64Array;
  /** Largest |p − p recomputed from the features and the division|: the features carry what p used. */
  maxReconstructionError: number;
}

/** Drift terms are (years − 3) × effect: at 3 years they vanish. */
const NO_DRIFT_DAYS = 3 * 365.25;

/** Sample records through the default spec: features, labels and reference probabilities. */
export function sampleData(n: number, seed: number): { data: Dataset; names: string[]; truth: SampleTruth } {
  const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));
  const names = spec.featureNames;
  const x: number[] = [];
  const y: number[] = [];
  const p: number[] = [];
  const pNoDrift: number[] = [];
  const pFeatures: number[] = [];
  let maxReconstructionError = 0;
  for (const record of generateSampleRecords({ n, seed })) {
    const result = spec.extract(record);
    if (result.status !== 'kept') continue;
    x.push(...result.row.features);
    y.push(result.row.label);
    p.push(record._sample.p);
    const observed = observedOf(names, result.row.features);
    const recomputed = trueProbability({ ...observed, division: result.row.division });
    maxReconstructionError = Math.max(maxReconstructionError, Math.abs(recomputed - record._sample.p));
    pNoDrift.push(trueProbability({ ...observed, days: NO_DRIFT_DAYS, division: result.row.division }));
    pFeatures.push(probabilityWithoutDivision(observed));
  }
  const d = names.length;
  return {
    data: { rows: y.length, features: d, x: Float32Array.from(x), y: Uint8Array.from(y) },
    names: [...names],
    truth: {
      p: Float64Array.from(p),
      pNoDrift: Float64Array.from(pNoDrift),
      pFeatures: Float64Array.from(pFeatures),
      maxReconstructionError,
    },
  };
}

/** The generator's inputs as the 15 features show them (Entertainment and Transit share a column and an effect). */
function observedOf(names: readonly string[], f: ArrayLike<number>): Omit<Observed, 'division'> {
  const at = (name: string) => f[names.indexOf(name)]!;
  const segment =
    (
      [
        ['segment_education', 'Education'],
        ['segment_entertainment_transit', 'Transit'],
        ['segment_hospitality_retail_dialysis', 'Hospitality/Retail/Dialysis'],
        ['segment_healthcare', 'Healthcare'],
        ['segment_spaces', 'Spaces'],
      ] as const
    ).find(([column]) => at(column) === 1)?.[1] ?? 'unknown';
  return {
    days: Math.floor(at('timestamp_days')),
    segment,
    sqft: at('project_size'),
    isDuplicate: at('is_duplicate') === 1,
    blacklisted: at('blacklisted') === 1,
    hotelVip: at('hotel_vip') === 1,
    largeProjectVip: at('large_project_vip') === 1,
    keyCustomerVip: at('key_customer_vip') === 1,
    historicalVipRating: at('historical_vip_rating'),
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
