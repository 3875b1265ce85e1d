import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';

/** The built CLI, as users run it (`npm test` builds first). */
const OPP = join(PACKAGE_ROOT, 'build', 'pipeline', 'cli', 'opp.js');

function opp(...args: string[]) {
  const run = spawnSync(process.execPath, [OPP, ...args], { encoding: 'utf8', cwd: PACKAGE_ROOT });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('opp CLI', () => {
  it('is built (run `npm run build` first)', () => {
    expect(existsSync(OPP)).toBe(true);
  });

  it.each([[[]], [['sample']], [['features']]])('prints help for %j', (command) => {
    const run = opp(...command, '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: opp/);
  });

  it('writes samples and turns them into features, with one JSON result each under --json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opp-cli-'));
    const records = join(dir, 'records.jsonl');
    const sample = opp('sample', '--n', '2,000', '--seed', '5', '--out', records, '--json');
    expect(sample.code).toBe(0);
    expect(JSON.parse(sample.stdout)).toMatchObject({ out: records, records: 2000, seed: 5 });
    expect(readFileSync(records, 'utf8').trimEnd().split('\n')).toHaveLength(2000);

    const out = join(dir, 'features.csv');
    const features = opp('features', '--in', records, '--out', out, '--json');
    expect(features.code).toBe(0);
    const result = JSON.parse(features.stdout);
    expect(result).toMatchObject({
      read: 2000,
      out,
      features: expect.arrayContaining(['timestamp_days', 'segment_spaces']),
    });
    expect(result.kept + result.excluded + result.invalid).toBe(2000);
    expect(readFileSync(out, 'utf8').trimEnd().split('\n')).toHaveLength(result.kept + 1);
    if (result.invalid > 0) expect(result.rejects).toBe(join(dir, 'features.rejects.jsonl'));
  });

  it('prints counts with reasons for people', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opp-cli-'));
    const records = join(dir, 'records.jsonl');
    expect(opp('sample', '--n', '3000', '--out', records).code).toBe(0);
    const run = opp('features', '--in', records, '--out', join(dir, 'f.csv'));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/read 3000 records/);
    expect(run.stdout).toMatch(/kept +\d+/);
    expect(run.stdout).toMatch(/\d+ +state=preprocessing/);
    expect(run.stdout).toMatch(/\d+ +no userName/);
  });

  it('fails with exit 1 and a clear message on an invalid spec, writing nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opp-cli-'));
    const spec = join(dir, 'spec.json');
    writeFileSync(spec, JSON.stringify({ source: 'record', colour: 'blue' }));
    const records = join(dir, 'records.jsonl');
    opp('sample', '--n', '10', '--out', records);
    const run = opp('features', '--in', records, '--out', join(dir, 'f.csv'), '--spec', spec, '--json');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`opp: ${spec}: does not match its schema`);
    expect(run.stderr).toContain('$: unknown key "colour"');
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { name: 'ConfigError' } });
    expect(existsSync(join(dir, 'f.csv'))).toBe(false);
  });

  it('fails with exit 2 on bad usage', () => {
    const run = opp('sample', '--n', 'many', '--out', '/tmp/x.jsonl');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('expected a whole number >= 1, got "many"');
    expect(opp('frobnicate').code).toBe(2);
  });
});
