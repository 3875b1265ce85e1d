import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS_ENV } from '../../../pipeline/io/read-records.js';
import { generateSampleRecords } from '../../../pipeline/sources/sample-records.js';
import { runCli } from '../../support/run-cli.js';
import { trainSmallOutput } from '../../support/trained-output.js';

/**
 * Files the rest of the system would refuse, given to the CLI: absurd values, over-long lines,
 * repeated ids, unknown divisions. Each is a clear error naming the file and line (or a reject
 * line naming them) before any work, never a silent merge, a NaN or a run of minutes.
 */

const dir = mkdtempSync(join(tmpdir(), 'opp-hostile-'));
const records = [...generateSampleRecords({ n: 400, seed: 7 })];
const recordsFile = join(dir, 'records.jsonl');
/** A features CSV made by `opp features` from `records`: the header, then one line per kept record. */
let featuresLines: string[] = [];

beforeAll(async () => {
  process.env.OPP_HOME = join(dir, 'home');
  writeFileSync(recordsFile, records.map((r) => JSON.stringify(r)).join('\n'));
  const out = join(dir, 'features.csv');
  const made = await runCli(['features', '--in', recordsFile, '--out', out, '--json']);
  expect(made.code).toBe(0);
  featuresLines = readFileSync(out, 'utf8').trimEnd().split('\n');
});

afterEach(() => {
  delete process.env[MAX_LINE_CHARS_ENV];
});

/** Writes `lines` to a file in the test folder. */
function write(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The features CSV with the value of `column` on data row `row` (1 = line 2) replaced. */
function featuresWith(row: number, column: string, value: string): string[] {
  const header = featuresLines[0]!.split(',');
  const index = header.indexOf(column);
  return featuresLines.map((line, i) => {
    if (i !== row) return line;
    const cells = line.split(',');
    cells[index] = value;
    return cells.join(',');
  });
}

function train(data: string, extra: string[] = []) {
  return runCli([
    'train',
    '--data',
    data,
    '--out',
    join(dir, 'never'),
    '--workers',
    '1',
    '--backend',
    'wasm',
    ...extra,
  ]);
}

describe('opp features with absurd values', () => {
  it('rejects each with its line and reason, and keeps the rest', async () => {
    const base = records.find((r) => r.PartitionKey === 'processed' && r.userName)!;
    const file = write('absurd.jsonl', [
      JSON.stringify(base),
      JSON.stringify({ ...base, RecordID: '<a@x>', project_size: '1e309 sq ft' }),
      JSON.stringify({ ...base, RecordID: '<b@x>', project_size: `${'1'.repeat(150_000)}x` }),
      JSON.stringify({ ...base, RecordID: '<c@x>', timestamp: '2300-01-01' }),
      JSON.stringify({ ...base, RecordID: '<d@x>', vip_details: '{"HistoricalVipRating": 1e308}' }),
      JSON.stringify({ ...base, RecordID: '<e@x>', timestamp: `/Date(${'9'.repeat(400)})/` }),
    ]);
    const rejects = join(dir, 'absurd.rejects.jsonl');
    const result = await runCli([
      'features',
      '--in',
      file,
      '--out',
      join(dir, 'absurd.csv'),
      '--rejects',
      rejects,
      '--json',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ read: 6, kept: 1, invalid: 5 });
    const rejected = readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejected.map(({ line, rule, reason }) => ({ line, rule, reason }))).toEqual([
      { line: 2, rule: 'project_size', reason: 'project_size: expected a finite number, got "1e309 sq ft"' },
      {
        line: 3,
        rule: 'project_size',
        reason: 'project_size: 150001 characters, more than the 65536 a field may hold',
      },
      { line: 4, rule: 'date', reason: 'date: "2300-01-01" is after 2200-12-31, the latest date accepted' },
      {
        line: 5,
        rule: 'vip_details',
        reason: 'vip_details: key "HistoricalVipRating": 1e+308 is above the maximum 10',
      },
      { line: 6, rule: 'date', reason: 'date: expected a date of at most 100 characters, got 408' },
    ]);
  });
});

describe('a file with an over-long line', () => {
  // A few MB with no line break, over a small cap: the error comes after reading one cap's worth.
  const huge = 'x'.repeat(4 << 20);

  it.each([
    ['features', 'JSONL', 'one-line.jsonl', `{"project_size": "${huge}"}`],
    ['features', 'CSV', 'one-line.csv', `id,${huge}`],
    ['train', 'JSONL', 'one-line-train.jsonl', `{"project_size": "${huge}"}`],
  ])(
    'opp %s fails fast on %s, naming the file, the line and the cap',
    async (command, _format, name, text) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      process.env[MAX_LINE_CHARS_ENV] = '65536';
      const started = performance.now();
      const result =
        command === 'train'
          ? await train(file)
          : await runCli(['features', '--in', file, '--out', join(dir, 'long.csv')]);
      expect(performance.now() - started).toBeLessThan(5000);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(
        `${file}:1: line 1 is longer than 65536 characters, the cap on one record (OPP_MAX_LINE_CHARS)`,
      );
    },
  );

  it('names the line of a long line after short ones', async () => {
    const file = write('third.jsonl', ['{}', '{}', `{"a": "${'y'.repeat(100_000)}"}`]);
    process.env[MAX_LINE_CHARS_ENV] = '65536';
    const result = await train(file);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${file}:3: line 3 is longer than 65536 characters`);
  });
});

describe('opp train with data the rest of the system refuses', () => {
  it('refuses a features CSV with a record id twice, naming both lines', async () => {
    const id = featuresLines[1]!.split(',')[0]!;
    const file = write('duplicate.csv', featuresWith(5, 'record_id', id));
    const result = await train(file);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `${file}:6: column "record_id": "${id}" appears again (first on line 2); one record could land in both train and test`,
    );
  });

  it('refuses a records file with a record id twice', async () => {
    const kept = records.filter((r) => r.PartitionKey === 'processed' && r.userName);
    const file = write(
      'duplicate.jsonl',
      [kept[0], kept[1], kept[0]].map((r) => JSON.stringify(r)),
    );
    const result = await train(file);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `${file}:3: record id "${kept[0]!.RecordID}" appears again (first on line 1)`,
    );
  });

  it('refuses a size below the spec minimum, as /score does', async () => {
    const file = write('negative-size.csv', featuresWith(3, 'project_size', '-5'));
    const result = await train(file);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `${file}:4: column "project_size": must be at least 0, got -5 (the feature spec's range)`,
    );
  });

  it('refuses a finite but absurd value', async () => {
    const file = write('far-future.csv', featuresWith(2, 'timestamp_days', '1e300'));
    const result = await train(file);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `${file}:3: column "timestamp_days": must be at most 66108 (2200-12-31), got 1e+300`,
    );
  });

  it('refuses a division the spec does not allow', async () => {
    const file = write('division-9.csv', featuresWith(4, 'division', '9'));
    const result = await train(file);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `${file}:5: column "division": 9 is not a division the feature spec allows (0, 1, 2, 3, 4, 5, 6, 7)`,
    );
  });

  it('refuses a division divisions.json does not list, instead of merging it into general', async () => {
    const divisions = join(dir, 'divisions.json');
    writeFileSync(
      divisions,
      JSON.stringify({
        divisions: [
          { id: 0, name: 'general' },
          { id: 1, name: 'one' },
        ],
      }),
    );
    const file = write('division-5.csv', featuresWith(1, 'division', '5'));
    const result = await train(file, ['--divisions', divisions]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /row(s have)? division \d+ \(first: record .+\), which the divisions config does not list \(0, 1\)/,
    );
  });
});

describe('opp predict with bad rows', () => {
  let model: string;
  beforeAll(async () => {
    model = await trainSmallOutput();
  });

  it('scores the good rows of a features CSV and names the line and record id of each bad one', async () => {
    const lines = featuresWith(3, 'project_size', '-5');
    const bad = featuresWith(5, 'timestamp_days', '1e300')[5]!;
    lines[5] = bad;
    const file = write('predict.csv', lines.slice(0, 8));
    const out = join(dir, 'predict-scores.jsonl');
    const result = await runCli(['predict', '--model', model, '--in', file, '--out', out, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ scored: 5, invalid: 2 });
    const scores = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(scores.filter((s) => 'error' in s)).toEqual([
      {
        line: 4,
        record_id: lines[3]!.split(',')[0],
        error: 'project_size: must be at least 0, got -5',
      },
      {
        line: 6,
        record_id: lines[5]!.split(',')[0],
        error: 'timestamp_days: must be at most 66108 (2200-12-31), got 1e+300',
      },
    ]);
    expect(scores.filter((s) => 'probability' in s).every((s) => Number.isFinite(s.probability))).toBe(true);
  });

  it('names the record id of a bad raw record', async () => {
    const good = records[0]!;
    const file = write('predict.jsonl', [
      JSON.stringify(good),
      JSON.stringify({ ...good, RecordID: '<bad@x>', project_size: '1e309 sq ft' }),
    ]);
    const out = join(dir, 'predict-records.jsonl');
    const result = await runCli(['predict', '--model', model, '--in', file, '--out', out, '--json']);
    expect(result.code).toBe(0);
    const scores = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(scores[1]).toEqual({
      line: 2,
      record_id: '<bad@x>',
      error: 'project_size: expected a finite number, got "1e309 sq ft"',
    });
  });
});
