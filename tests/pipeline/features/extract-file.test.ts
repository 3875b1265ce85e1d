import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../pipeline/errors/InputError.js';
import { compileFeatureSpec } from '../../../pipeline/features/compile-spec.js';
import { extractFeaturesFile } from '../../../pipeline/features/extract-file.js';
import { loadFeatureSpec } from '../../../pipeline/features/feature-spec.js';
import { generateSampleRecords } from '../../../pipeline/sources/sample-records.js';
import { defaultConfigPath, PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';

const MAVEN_CSV = join(
  PACKAGE_ROOT,
  '..',
  'shared',
  'data',
  'maven-crm-sales-opportunities',
  'sales_pipeline.csv',
);
const MAVEN_SPEC = join(PACKAGE_ROOT, 'configs', 'examples', 'maven-crm-features.json');
const seedSpec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));

function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'opp-extract-'));
}

async function failure(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

function writeJsonl(file: string, records: unknown[]): void {
  writeFileSync(file, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
}

describe('extractFeaturesFile on sample records', () => {
  it('keeps, excludes and rejects records, and writes rejects with their reasons', async () => {
    const dir = workDir();
    const input = join(dir, 'records.jsonl');
    writeJsonl(input, [...generateSampleRecords({ n: 3000, seed: 3 })]);
    const out = join(dir, 'features.csv');
    const rejects = join(dir, 'rejects.jsonl');
    const result = await extractFeaturesFile(seedSpec, input, out, { rejects });

    expect(result.read).toBe(3000);
    expect(result.kept + result.excluded + result.invalid).toBe(3000);
    expect(result.kept).toBeGreaterThan(2400);
    expect(result.positives / result.kept).toBeGreaterThan(0.18);
    expect(result.positives / result.kept).toBeLessThan(0.32);
    expect(Object.keys(result.excludedBy)).toEqual(
      expect.arrayContaining(['no userName', 'state=preprocessing']),
    );

    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(`record_id,division,action_taken,${seedSpec.featureNames.join(',')}`);
    expect(lines).toHaveLength(result.kept + 1);
    for (const line of lines.slice(1, 50)) expect(line.split(',')).toHaveLength(18);

    const rejected = readFileSync(rejects, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejected).toHaveLength(result.invalid);
    for (const r of rejected) {
      expect(r).toEqual({
        line: expect.any(Number),
        rule: expect.any(String),
        reason: expect.any(String),
        record: expect.any(Object),
      });
    }
    expect(readdirSync(dir).sort()).toEqual(['features.csv', 'records.jsonl', 'rejects.jsonl']);
  });
});

describe('extractFeaturesFile on the Maven CRM export through its own spec', () => {
  it('labels closed deals Won=1/Lost=0, leaves open deals out and never reads the leaking columns', async () => {
    const spec = compileFeatureSpec(loadFeatureSpec(MAVEN_SPEC));
    expect(spec.fields).not.toContain('close_value');
    expect(spec.fields).not.toContain('close_date');
    const out = join(workDir(), 'maven.csv');
    const result = await extractFeaturesFile(spec, MAVEN_CSV, out, { rejects: `${out}.rejects` });
    expect(result).toMatchObject({
      read: 8800,
      kept: 6711,
      positives: 4238,
      excluded: 2089,
      excludedBy: { 'deal_stage=engaging': 1589, 'deal_stage=prospecting': 500 },
      invalid: 0,
    });
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(rows[0]).toBe(`record_id,division,action_taken,${spec.featureNames.join(',')}`);
    // 1C1I7A6R: Moses Frase (Central region, division 1), GTX Plus Basic, Won, engaged 2016-10-20.
    const first = rows[1]!.split(',');
    expect(first.slice(0, 4)).toEqual(['1C1I7A6R', '1', '1', '19']);
    expect(first[4 + spec.featureNames.indexOf('product_gtx_plus_basic') - 1]).toBe('1');
    const divisions = new Set(rows.slice(1).map((r) => r.split(',')[1]));
    expect([...divisions].sort()).toEqual(['1', '2', '3']);
  });
});

describe('bad input gives one clear error and leaves no partial output', () => {
  it('a truncated JSONL line names the file and line', async () => {
    const dir = workDir();
    const input = join(dir, 'records.jsonl');
    const records = [...generateSampleRecords({ n: 5, seed: 1 })].map((r) => JSON.stringify(r));
    writeFileSync(input, `${records.slice(0, 3).join('\n')}\n${records[3]!.slice(0, 40)}\n${records[4]}\n`);
    const error = await failure(
      extractFeaturesFile(seedSpec, input, join(dir, 'out.csv'), { rejects: join(dir, 'rejects.jsonl') }),
    );
    expect(error.message).toMatch(
      new RegExp(`^${input}:4: invalid JSON \\(.*\\); expected one JSON object per line$`),
    );
    expect(error.line).toBe(4);
    expect(readdirSync(dir)).toEqual(['records.jsonl']);
  });

  it('a CSV missing a column the spec reads names the column and the spec', async () => {
    const dir = workDir();
    const input = join(dir, 'export.csv');
    writeFileSync(
      input,
      'opportunity_id,sales_agent,deal_stage,engage_date\nA1,Moses Frase,Won,2017-01-01\n',
    );
    const spec = compileFeatureSpec(loadFeatureSpec(MAVEN_SPEC));
    const error = await failure(
      extractFeaturesFile(spec, input, join(dir, 'out.csv'), { specName: 'maven-crm-features.json' }),
    );
    expect(error.message).toBe(
      `${input}:1: missing column "product" that maven-crm-features.json reads (the header has: opportunity_id, sales_agent, deal_stage, engage_date)`,
    );
    expect(readdirSync(dir)).toEqual(['export.csv']);
  });

  it('a CSV row with the wrong number of fields names its line', async () => {
    const dir = workDir();
    const input = join(dir, 'export.csv');
    writeFileSync(
      input,
      `${readFileSync(MAVEN_CSV, 'utf8').split('\n').slice(0, 6).join('\n')}\nX1,Moses Frase,GTX Basic\n`,
    );
    const spec = compileFeatureSpec(loadFeatureSpec(MAVEN_SPEC));
    const error = await failure(extractFeaturesFile(spec, input, join(dir, 'out.csv')));
    expect(error.message).toContain(`${input}:7: expected 8 fields`);
    expect(existsSync(join(dir, 'out.csv'))).toBe(false);
  });

  it('a spec field that no record has is named, with the number of records read', async () => {
    const dir = workDir();
    const input = join(dir, 'records.jsonl');
    writeJsonl(
      input,
      [...generateSampleRecords({ n: 50, seed: 2 })].map(({ segment: _, Segment: __, ...rest }) => rest),
    );
    const error = await failure(
      extractFeaturesFile(seedSpec, input, join(dir, 'out.csv'), { specName: 'configs/features.json' }),
    );
    expect(error.message).toBe(
      `${input}: configs/features.json reads field "segment", which no record of the 50 read has (check the field names in configs/features.json)`,
    );
    expect(readdirSync(dir)).toEqual(['records.jsonl']);
  });

  it('an unknown file type is refused before anything is read', async () => {
    const error = await failure(extractFeaturesFile(seedSpec, '/tmp/records.parquet', '/tmp/x.csv'));
    expect(error.message).toContain('unknown input format ".parquet" (expected .jsonl, .ndjson or .csv)');
  });

  it('a missing input file is named', async () => {
    const error = await failure(extractFeaturesFile(seedSpec, '/nonexistent/records.jsonl', '/tmp/x.csv'));
    expect(error.message).toMatch(/^\/nonexistent\/records\.jsonl: cannot open/);
  });
});
