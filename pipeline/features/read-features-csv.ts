import { InputError } from '../errors/InputError.js';
import { openRecordFile } from '../io/read-records.js';
import type { CompiledFeatureSpec } from './compile-spec.js';
import { ML_ROW_COLUMNS } from './features-csv.js';

export interface ReadFeaturesCsvOptions {
  /**
   * Checks every row against this spec, as /score checks a request: each feature within its
   * range (`CompiledFeatureSpec.ranges`), exactly one column of each one-hot group set, and the
   * division one the spec allows. Without it, values need only be finite.
   */
  spec?: CompiledFeatureSpec;
  /** Refuses a record_id seen on an earlier line (a record could land in train and test). @default false */
  uniqueIds?: boolean;
}

/** A features CSV (as `opp features` writes it) read into columns. */
export interface FeatureTable {
  featureNames: string[];
  rows: number;
  recordIds: string[];
  division: Int32Array;
  labels: Uint8Array;
  /** Feature values, row-major (`rows × featureNames.length`). */
  x: Float64Array;
  /** The line of the file each row starts on. */
  lines: Int32Array;
}

/** True when a CSV header starts with the ML-row columns (record_id, division, action_taken). */
export function isFeaturesCsvHeader(columns: readonly string[]): boolean {
  return ML_ROW_COLUMNS.every((name, i) => columns[i] === name);
}

/**
 * Reads a features CSV written by {@link featuresCsvLine}: record_id, division, action_taken,
 * then the features. Every feature value must be a finite number.
 *
 * @throws InputError naming file, line and column for an empty, non-numeric or NaN value, a
 *   label other than 0/1, a non-integer division, or a header without the ML-row columns; with
 *   options, for a value outside the spec's range, a division it does not allow, or a repeated id.
 */
export async function readFeaturesCsv(
  file: string,
  options: ReadFeaturesCsvOptions = {},
): Promise<FeatureTable> {
  const { spec, uniqueIds = false } = options;
  const source = await openRecordFile(file);
  const columns = source.columns ?? [];
  if (source.format !== 'csv' || !isFeaturesCsvHeader(columns) || columns.length <= ML_ROW_COLUMNS.length) {
    throw new InputError(
      `${file}:1: not a features CSV: the header must be ${ML_ROW_COLUMNS.join(',')} followed by the features ` +
        `(got ${columns.join(',') || 'no header'})`,
      file,
      1,
    );
  }
  const featureNames = columns.slice(ML_ROW_COLUMNS.length);
  const d = featureNames.length;
  const recordIds: string[] = [];
  const division: number[] = [];
  const labels: number[] = [];
  const lines: number[] = [];
  const firstLineOf = new Map<string, number>();
  const allowed = spec ? new Set(spec.spec.division.allowed) : undefined;
  let x = new Float64Array(1024 * d);
  let rows = 0;
  for await (const { line, value } of source.rows) {
    const row = value as Record<string, string>;
    const fail = (column: string, what: string): never => {
      throw new InputError(`${file}:${line}: column "${column}": ${what}`, file, line);
    };
    const divisionValue = Number(row.division);
    if (row.division?.trim() === '' || !Number.isInteger(divisionValue) || divisionValue < 0)
      fail('division', `expected a whole number >= 0, got "${row.division}"`);
    const label = row.action_taken?.trim();
    if (label !== '0' && label !== '1') fail('action_taken', `expected 0 or 1, got "${row.action_taken}"`);
    if (x.length < (rows + 1) * d) {
      const grown = new Float64Array(x.length * 2);
      grown.set(x);
      x = grown;
    }
    for (let j = 0; j < d; j++) {
      const name = featureNames[j]!;
      const text = row[name]!.trim();
      if (text === '') fail(name, 'empty value (every feature needs a number; fix the features step)');
      const v = Number(text);
      if (!Number.isFinite(v)) fail(name, `expected a finite number, got "${text}"`);
      x[rows * d + j] = v;
    }
    if (allowed && !allowed.has(divisionValue))
      fail(
        'division',
        `${divisionValue} is not a division the feature spec allows (${[...allowed].join(', ')})`,
      );
    if (spec) {
      const problem = spec.checkFeatures(x.subarray(rows * d, rows * d + d));
      if (problem) fail(problem.name, `${problem.reason} (the feature spec's range)`);
    }
    if (uniqueIds) {
      const first = firstLineOf.get(row.record_id!);
      if (first !== undefined)
        fail(
          'record_id',
          `"${row.record_id}" appears again (first on line ${first}); one record could land in both train and test`,
        );
      firstLineOf.set(row.record_id!, line);
    }
    recordIds.push(row.record_id!);
    lines.push(line);
    division.push(divisionValue);
    labels.push(label === '1' ? 1 : 0);
    rows++;
  }
  if (rows === 0) throw new InputError(`${file}: no rows after the header`, file);
  return {
    featureNames,
    rows,
    recordIds,
    division: Int32Array.from(division),
    labels: Uint8Array.from(labels),
    x: x.slice(0, rows * d),
    lines: Int32Array.from(lines),
  };
}
