import { InputError } from '../errors/InputError.js';
import { AtomicFile } from '../io/AtomicFile.js';
import { openRecordFile } from '../io/read-records.js';
import type { CompiledFeatureSpec } from './compile-spec.js';
import { featuresCsvHeader, featuresCsvLine } from './features-csv.js';

export interface ExtractFileOptions {
  /** Where to write the rejected records (JSONL: line, rule, reason, record); none written if there are none. */
  rejects?: string;
  /** Names the spec in errors (its file path). */
  specName?: string;
  /** Called every 1,000 records with the count read so far. */
  onProgress?: (read: number) => void;
}

export interface ExtractFileResult {
  input: string;
  out: string;
  /** The rejects file, when any record was invalid. */
  rejects?: string;
  read: number;
  kept: number;
  positives: number;
  excluded: number;
  invalid: number;
  /** Counts by rule, largest first. */
  excludedBy: Record<string, number>;
  invalidBy: Record<string, number>;
  specHash: string;
  seconds: number;
}

/**
 * Reads a JSONL or CSV file of source records, writes the ML-ready rows as CSV to `out`, and
 * counts what was kept, excluded (on purpose) and invalid (with reasons). Outputs appear only
 * when the whole file was read: a fault leaves no partial file behind.
 *
 * @throws InputError for a syntax error, a CSV missing a column the spec reads, or a spec
 *   field that no record has.
 */
export async function extractFeaturesFile(
  spec: CompiledFeatureSpec,
  input: string,
  out: string,
  options: ExtractFileOptions = {},
): Promise<ExtractFileResult> {
  const started = performance.now();
  const specName = options.specName ?? 'the feature spec';
  const file = await openRecordFile(input);
  if (file.columns) {
    const missing = spec.fields.filter((field) => !file.columns!.includes(field));
    if (missing.length > 0) {
      throw new InputError(
        `${input}:1: missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} ` +
          `that ${specName} reads (the header has: ${file.columns.join(', ')})`,
        input,
        1,
      );
    }
  }
  const outFile = await AtomicFile.create(out);
  let rejectsFile: AtomicFile | undefined;
  const excludedBy = new Map<string, number>();
  const invalidBy = new Map<string, number>();
  const unseen = new Set(spec.fields);
  let read = 0;
  let kept = 0;
  let positives = 0;
  try {
    await outFile.write(featuresCsvHeader(spec.featureNames));
    for await (const { line, value } of file.rows) {
      read++;
      if (options.onProgress && read % 1000 === 0) options.onProgress(read);
      const result = spec.extract(value, unseen);
      if (result.status === 'kept') {
        kept++;
        positives += result.row.label;
        await outFile.write(featuresCsvLine(result.row));
      } else if (result.status === 'excluded') {
        excludedBy.set(result.rule, (excludedBy.get(result.rule) ?? 0) + 1);
      } else {
        invalidBy.set(result.rule, (invalidBy.get(result.rule) ?? 0) + 1);
        if (options.rejects) {
          rejectsFile ??= await AtomicFile.create(options.rejects);
          await rejectsFile.write(
            `${JSON.stringify({ line, rule: result.rule, reason: result.reason, record: value })}\n`,
          );
        }
      }
    }
    if (read === 0) throw new InputError(`${input}: no records found`, input);
    if (unseen.size > 0) {
      const names = [...unseen].map((f) => `"${f}"`).join(', ');
      throw new InputError(
        `${input}: ${specName} reads field${unseen.size > 1 ? 's' : ''} ${names}, which no record of the ${read} read has ` +
          `(check the field names in ${specName})`,
        input,
      );
    }
    await outFile.commit();
    await rejectsFile?.commit();
  } catch (error) {
    await outFile.abort();
    await rejectsFile?.abort();
    throw error;
  }
  options.onProgress?.(read);
  const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
  return {
    input,
    out,
    ...(rejectsFile ? { rejects: rejectsFile.path } : {}),
    read,
    kept,
    positives,
    excluded: total(excludedBy),
    invalid: total(invalidBy),
    excludedBy: sortedCounts(excludedBy),
    invalidBy: sortedCounts(invalidBy),
    specHash: spec.hash,
    seconds: (performance.now() - started) / 1000,
  };
}

function sortedCounts(counts: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}
