import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { InputError } from '../../pipeline/errors/InputError.js';
import type { CompiledFeatureSpec } from '../../pipeline/features/compile-spec.js';
import { isFeaturesCsvHeader, readFeaturesCsv } from '../../pipeline/features/read-features-csv.js';
import { openRecordFile } from '../../pipeline/io/read-records.js';

/** Labelled rows for training, from a features CSV or from records run through a feature spec. */
export interface TrainingTable {
  featureNames: string[];
  rows: number;
  recordIds: string[];
  division: Int32Array;
  labels: Uint8Array;
  /** Feature values, row-major. */
  x: Float32Array;
  /** SHA-256 of the input file's bytes: identifies the data a model was trained on. */
  snapshotId: string;
  /** What happened to the source records (records input only). */
  records?: {
    read: number;
    kept: number;
    excluded: number;
    invalid: number;
    invalidBy: Record<string, number>;
  };
}

/**
 * Loads training data. A `.csv` whose header starts with record_id,division,action_taken is
 * read as a features CSV, and its feature columns must equal the spec's features (same names,
 * same order); any other `.csv`, `.jsonl` or `.ndjson` is read as source records and run
 * through the spec (excluded records are skipped, invalid ones counted and skipped).
 *
 * Every row must be one the scoring server would take: features within the spec's ranges, a
 * division the spec allows, and no record id twice.
 *
 * @throws InputError for bad values, a feature mismatch with the spec, a repeated record id, or
 *   no usable rows.
 */
export async function loadTrainingData(file: string, spec: CompiledFeatureSpec): Promise<TrainingTable> {
  const source = await openRecordFile(file);
  if (source.columns && isFeaturesCsvHeader(source.columns)) {
    const columns = source.columns.slice(3);
    const expected = spec.featureNames.join(',');
    if (columns.join(',') !== expected) {
      throw new InputError(
        `${file}:1: its features (${columns.join(',')}) do not match the feature spec's ` +
          `(${expected}); re-run \`opp features\` with this spec or pass the spec it was made with (--spec)`,
        file,
        1,
      );
    }
    const { lines: _, ...table } = await readFeaturesCsv(file, { spec, uniqueIds: true });
    return { ...table, x: Float32Array.from(table.x), snapshotId: await hashFile(file) };
  }
  const d = spec.featureNames.length;
  const recordIds: string[] = [];
  const division: number[] = [];
  const labels: number[] = [];
  const values: number[] = [];
  const invalidBy: Record<string, number> = {};
  let read = 0;
  let excluded = 0;
  let invalid = 0;
  const firstLineOf = new Map<string, number>();
  for await (const { line, value } of source.rows) {
    read++;
    const result = spec.extract(value);
    if (result.status === 'kept') {
      const first = firstLineOf.get(result.row.recordId);
      if (first !== undefined) {
        throw new InputError(
          `${file}:${line}: record id "${result.row.recordId}" appears again (first on line ${first}); ` +
            'one record could land in both train and test',
          file,
          line,
        );
      }
      firstLineOf.set(result.row.recordId, line);
    }
    if (result.status === 'excluded') excluded++;
    else if (result.status === 'invalid') {
      invalid++;
      invalidBy[result.rule] = (invalidBy[result.rule] ?? 0) + 1;
    } else {
      recordIds.push(result.row.recordId);
      division.push(result.row.division);
      labels.push(result.row.label);
      for (let j = 0; j < d; j++) values.push(result.row.features[j]!);
    }
  }
  if (recordIds.length === 0) {
    throw new InputError(
      `${file}: none of the ${read} records is usable for training (${excluded} excluded, ${invalid} invalid)`,
      file,
    );
  }
  return {
    featureNames: [...spec.featureNames],
    rows: recordIds.length,
    recordIds,
    division: Int32Array.from(division),
    labels: Uint8Array.from(labels),
    x: Float32Array.from(values),
    // Hashed once the rows are read: a file that fails (a 2 GB line) fails before a full read.
    snapshotId: await hashFile(file),
    records: { read, kept: recordIds.length, excluded, invalid, invalidBy },
  };
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (error) {
    throw new InputError(`${file}: cannot read (${(error as Error).message})`, file, undefined, {
      cause: error,
    });
  }
  return hash.digest('hex');
}
