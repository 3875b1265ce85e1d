import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../pipeline/errors/InputError.js';
import { readFeaturesCsv } from '../../../pipeline/features/read-features-csv.js';

const dir = mkdtempSync(join(tmpdir(), 'opp-features-csv-'));

describe('readFeaturesCsv', () => {
  const bad = async (body: string) => {
    const file = join(dir, `bad-${Math.random()}.csv`);
    writeFileSync(file, `record_id,division,action_taken,a,b\n${body}`);
    return readFeaturesCsv(file);
  };

  it('names the line and column of an empty feature value', async () => {
    await expect(bad('r1,0,1,1,2\nr2,0,0,,2\n')).rejects.toThrow(/:3: column "a": empty value/);
  });

  it('refuses NaN and non-numeric values, bad labels and divisions', async () => {
    await expect(bad('r1,0,1,1,NaN\n')).rejects.toThrow(/column "b": expected a finite number, got "NaN"/);
    await expect(bad('r1,0,1,x,1\n')).rejects.toThrow(InputError);
    await expect(bad('r1,0,2,1,1\n')).rejects.toThrow(/action_taken": expected 0 or 1/);
    await expect(bad('r1,1.5,1,1,1\n')).rejects.toThrow(/division": expected a whole number/);
  });

  it('reads good rows into columns', async () => {
    const table = await bad('r1,2,1,1.5,-2\nr2,0,0,0,3e3\n');
    expect(table).toMatchObject({ featureNames: ['a', 'b'], rows: 2, recordIds: ['r1', 'r2'] });
    expect([...table.x]).toEqual([1.5, -2, 0, 3000]);
    expect([...table.division]).toEqual([2, 0]);
    expect([...table.labels]).toEqual([1, 0]);
  });
});
