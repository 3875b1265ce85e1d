import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse } from 'csv-parse';
import { InputError } from '../errors/InputError.js';

/** One record of an input file and the line it starts on (1-based). */
export interface SourceRow {
  line: number;
  value: unknown;
}

export type RecordFormat = 'jsonl' | 'csv';

/** Environment variable that sets the longest line (JSONL) or record (CSV) a file may have. */
export const MAX_LINE_CHARS_ENV = 'OPP_MAX_LINE_CHARS';
/** The default cap: 1 MiB of text, the scoring server's largest request body. */
export const DEFAULT_MAX_LINE_CHARS = 1 << 20;

/**
 * The line cap in force: $OPP_MAX_LINE_CHARS when set, else {@link DEFAULT_MAX_LINE_CHARS}.
 * @throws InputError for a value that is not a positive whole number.
 */
export function maxLineChars(): number {
  const text = process.env[MAX_LINE_CHARS_ENV];
  if (text === undefined || text.trim() === '') return DEFAULT_MAX_LINE_CHARS;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new InputError(`${MAX_LINE_CHARS_ENV} must be a whole number of characters >= 1, got "${text}"`);
  return value;
}

function lineTooLong(file: string, line: number, cap: number): InputError {
  return new InputError(
    `${file}:${line}: line ${line} is longer than ${cap} characters, the cap on one record ` +
      `(${MAX_LINE_CHARS_ENV}); a JSONL file holds one record per line, a CSV one per row`,
    file,
    line,
  );
}

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
 * Opens a JSONL or CSV file of records. Rows are read lazily; a syntax error, or a line longer
 * than the cap ({@link maxLineChars}), throws an `InputError` naming the file and line when that
 * row is reached: a file with no line breaks fails after reading one cap's worth of it.
 */
export async function openRecordFile(file: string): Promise<RecordFile> {
  const format = recordFormatOf(file);
  const cap = maxLineChars();
  try {
    await (await open(file, 'r')).close();
  } catch (error) {
    throw new InputError(`${file}: cannot open (${(error as Error).message})`, file, undefined, {
      cause: error,
    });
  }
  if (format === 'jsonl') return { format, rows: readJsonLines(file, cap) };
  const columns = await readCsvHeader(file, cap);
  return { format, columns, rows: readCsvRows(file, columns, cap) };
}

/** The lines of a UTF-8 file (LF or CRLF), numbered from 1; none may be longer than `cap`. */
async function* readLines(file: string, cap: number): AsyncGenerator<{ line: number; text: string }> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  let partial = '';
  let line = 1;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let start = 0;
      for (let end = chunk.indexOf('\n'); end >= 0; end = chunk.indexOf('\n', start)) {
        const text = partial + chunk.slice(start, end);
        partial = '';
        if (text.length > cap + 1) throw lineTooLong(file, line, cap);
        yield { line, text: text.endsWith('\r') ? text.slice(0, -1) : text };
        line++;
        start = end + 1;
      }
      partial += chunk.slice(start);
      if (partial.length > cap + 1) throw lineTooLong(file, line, cap);
    }
    if (partial.length > 0) yield { line, text: partial.endsWith('\r') ? partial.slice(0, -1) : partial };
  } finally {
    stream.destroy();
  }
}

async function* readJsonLines(file: string, cap: number): AsyncGenerator<SourceRow> {
  for await (const { line, text } of readLines(file, cap)) {
    if (text.length > cap) throw lineTooLong(file, line, cap);
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
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

async function readCsvHeader(file: string, cap: number): Promise<string[]> {
  const parser = createReadStream(file).pipe(parse({ bom: true, to_line: 1, max_record_size: cap }));
  let header: string[] | undefined;
  try {
    for await (const row of parser as AsyncIterable<string[]>) {
      header = row;
      break;
    }
  } catch (error) {
    throw csvError(file, error, cap);
  }
  if (header) {
    const columns = header.map((c) => c.trim());
    const duplicate = columns.find((c, i) => columns.indexOf(c) !== i);
    if (duplicate !== undefined)
      throw new InputError(`${file}:1: column "${duplicate}" appears twice in the header`, file, 1);
    return columns;
  }
  throw new InputError(`${file}: empty file (expected a header line)`, file, 1);
}

/** An InputError for an error of csv-parse: the cap when a record is too long, else its message. */
function csvError(file: string, error: unknown, cap: number): InputError {
  if (error instanceof InputError) return error;
  const line = (error as { lines?: number }).lines;
  if ((error as { code?: string }).code === 'CSV_MAX_RECORD_SIZE') return lineTooLong(file, line ?? 1, cap);
  return new InputError(
    `${file}${line ? `:${line}` : ''}: invalid CSV (${(error as Error).message})`,
    file,
    line,
    { cause: error },
  );
}

async function* readCsvRows(
  file: string,
  columns: readonly string[],
  cap: number,
): AsyncGenerator<SourceRow> {
  const parser = createReadStream(file).pipe(
    parse({
      bom: true,
      from_line: 2,
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
      max_record_size: cap,
    }),
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
    throw csvError(file, error, cap);
  }
}
