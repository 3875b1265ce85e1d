import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('committed action bundles', () => {
  it('are current: rebuilding each dist/ into a temporary folder gives the same bytes', () => {
    const out = execFileSync(process.execPath, ['actions/bundle.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/dist\/ is current for \d+ action\(s\): .*metrics-gate/);
  });

  it('keep tfjs out of the metrics gate', () => {
    const bundle = readFileSync('actions/metrics-gate/dist/index.js', 'utf8');
    expect(bundle).not.toMatch(/@tensorflow|tfjs/);
  });
});
