import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createFitRunner } from '../../../model/parallel/fit-workers.js';
import { PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';

describe('worker threads per backend', () => {
  it('runs the native backends (tfjs-node, tfjs-node-gpu) in one thread, saying why', async () => {
    for (const backend of ['node', 'node-gpu'] as const) {
      const lines: string[] = [];
      const runner = createFitRunner(2, backend, (line) => lines.push(line));
      try {
        expect(runner.concurrency).toBe(1);
        expect(lines).toEqual([
          expect.stringContaining(`2 workers asked, running 1: the ${backend} backend`),
        ]);
      } finally {
        await runner.close();
      }
    }
  });

  it('keeps worker threads for wasm, and says nothing when one is asked', async () => {
    const lines: string[] = [];
    const pool = createFitRunner(2, 'wasm', (line) => lines.push(line));
    const single = createFitRunner(1, 'node-gpu', (line) => lines.push(line));
    try {
      expect(pool.concurrency).toBe(2);
      expect(single.concurrency).toBe(1);
      expect(lines).toEqual([]);
    } finally {
      await Promise.all([pool.close(), single.close()]);
    }
  });

  it("retrain.yml's GPU runner path trains with one worker", () => {
    const workflow = parse(readFileSync(join(PACKAGE_ROOT, '.github', 'workflows', 'retrain.yml'), 'utf8'));
    const steps: { uses?: string; with?: Record<string, string> }[] = Object.values(
      workflow.jobs as Record<string, { steps?: { uses?: string; with?: Record<string, string> }[] }>,
    ).flatMap((job) => job.steps ?? []);
    const train = steps.filter((s) => s.uses === './actions/train');
    expect(train.length).toBeGreaterThan(0);
    for (const step of train) {
      // The expression picks the backend and the workers from the same input.
      const pick = (expr: string, compute: string) => {
        const m = /^\$\{\{ inputs\.compute == '([^']+)' && '([^']+)' \|\| '([^']+)' \}\}$/.exec(expr);
        return m ? (compute === m[1] ? m[2] : m[3]) : expr;
      };
      expect(pick(step.with!.backend!, 'gpu-runner')).toBe('node-gpu');
      expect(pick(String(step.with!.workers), 'gpu-runner')).toBe('1');
    }
  });
});
