import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArtifactError } from '../../../pipeline/errors/ArtifactError.js';
import { readPrArtifact } from '../../../pipeline/reports/read-pr-artifact.js';
import { metricsReport, modelReport } from '../../support/metrics-fixtures.js';

const HEAD = 'c'.repeat(40);
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'opp-artifact-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, value: unknown): void {
  mkdirSync(join(dir, name, '..'), { recursive: true });
  writeFileSync(join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));
}

function refusal(): { file: string; message: string } {
  try {
    readPrArtifact(dir);
  } catch (error) {
    expect(error instanceof ArtifactError).toBe(true);
    return { file: (error as { file: string }).file, message: (error as Error).message };
  }
  throw new Error('readPrArtifact accepted the artifact');
}

describe('readPrArtifact', () => {
  it('reads pr.json and the candidate; the baseline and the comparison only when present', () => {
    write('pr.json', { number: 12, headSha: HEAD, data: 'sample records (500, seed 1)' });
    write('candidate/metrics.json', metricsReport([modelReport(0)]));
    const artifact = readPrArtifact(dir);
    expect(artifact.pullRequest).toEqual({ number: 12, headSha: HEAD, data: 'sample records (500, seed 1)' });
    expect(artifact.candidate.models[0]!.name).toBe('general');
    expect(artifact).not.toHaveProperty('baseline');
    expect(artifact).not.toHaveProperty('comparison');
    write('baseline/metrics.json', metricsReport([modelReport(0, { auc: 0.7 })]));
    expect(readPrArtifact(dir).baseline?.models[0]?.test?.auc).toBe(0.7);
  });

  it('refuses a named pipe (it would block a reader), an unknown key and a missing candidate', () => {
    write('pr.json', { number: 12, headSha: HEAD });
    expect(refusal()).toEqual({
      file: 'candidate/metrics.json',
      message: 'artifact file candidate/metrics.json: folder candidate is missing',
    });
    write('candidate/metrics.json', metricsReport([modelReport(0)]));
    write('pr.json', { number: 12, headSha: HEAD, run: 'rm -rf /' });
    expect(refusal().message).toMatch(
      /^artifact file pr\.json: does not match its schema:\n\s+\$: unknown key "run"/,
    );
    rmSync(join(dir, 'pr.json'));
    execFileSync('mkfifo', [join(dir, 'pr.json')]);
    expect(refusal()).toEqual({
      file: 'pr.json',
      message: 'artifact file pr.json: is not a regular file: refused',
    });
  });

  it('refuses an artifact folder that is itself a symbolic link', () => {
    write('real/pr.json', { number: 12, headSha: HEAD });
    const link = join(dir, 'link');
    symlinkSync(join(dir, 'real'), link);
    expect(() => readPrArtifact(link)).toThrow(
      'artifact file pr.json: the artifact folder is a symbolic link: refused',
    );
  });
});
