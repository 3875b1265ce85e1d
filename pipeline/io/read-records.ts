import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { InputError } from '../errors/InputError.js';

/** One record of an input file and the line it starts on (1-based). */
export interface SourceRow {
  line: number;
  value: unknown;
}

export type RecordFormat = 'jsonl' | 'csv';

export interface RecordFile {
  format: RecordFormat;
  /** CSV header, in file order; undefined for JSONL. */
  columns?: readonly string[];
  rows: AsyncIterable<SourceRow>;
}

/** Picks the format from the file name: `.jsonl`/`.ndjson` or `.csv`. */
export function recordFormatOf(file: string): RecordFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  throw new InputError(`${file}: unknown input format "${ext}" (expected .jsonl, .ndjson or .csv)`, file);
}

/**
 * Opens a JSONL or CSV file of records. Rows are read lazily; a syntax error throws an
 * `InputError` naming the file and line when that row is reached.
 */
export async function openRecordFile(file: string): Promise<RecordFile> {
  const format = recordFormatOf(file);
  try {
    await (await open(file, 'r')).close();
  } catch (error) {
    throw new InputError(`${file}: cannot open (${(error as Error).message})`, file, undefined, {
      cause: error,
    });
  }
  if (format === 'jsonl') return { format, rows: readJsonLines(file) };
  const columns = await readCsvHeader(file);
  return { format, columns, rows: readCsvRows(file, columns) };
}

async function* readJsonLines(file: string): AsyncGenerator<SourceRow> {
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      lines.close();
      throw new InputError(
        `${file}:${line}: invalid JSON (${(error as Error).message}); expected one JSON object per line`,
        file,
        line,
        { cause: error },
      );
    }
    yield { line, value };
  }
}

async function readCsvHeader(file: string): Promise<string[]> {
  const parser = createReadStream(file).pipe(parse({ bom: true, to_line: 1 }));
  for await (const header of parser as AsyncIterable<string[]>) {
    const columns = header.map((c) => c.trim());
    const duplicate = columns.find((c, i) => columns.indexOf(c) !== i);
    if (duplicate !== undefined)
      throw new InputError(`${file}:1: column "${duplicate}" appears twice in the header`, file, 1);
    return columns;
  }
  throw new InputError(`${file}: empty file (expected a header line)`, file, 1);
}

async function* readCsvRows(file: string, columns: readonly string[]): AsyncGenerator<SourceRow> {
  const parser = createReadStream(file).pipe(
    parse({ bom: true, from_line: 2, info: true, skip_empty_lines: true, relax_column_count: true }),
  );
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      if (record.length !== columns.length) {
        throw new InputError(
          `${file}:${info.lines}: expected ${columns.length} fields (${columns.join(',')}), got ${record.length}`,
          file,
          info.lines,
        );
      }
      const value: Record<string, string> = {};
      for (let i = 0; i < columns.length; i++) value[columns[i]!] = record[i]!;
      yield { line: info.lines, value };
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const line = (error as { lines?: number }).lines;
    throw new InputError(
      `${file}${line ? `:${line}` : ''}: invalid CSV (${(error as Error).message})`,
      file,
      line,
      {
        cause: error,
      },
    );
  }
}
