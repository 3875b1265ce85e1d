import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateExpression, jobRuns, runJobSteps, type WorkflowStep } from './workflow-run.js';

const dir = mkdtempSync(join(tmpdir(), 'opp-workflow-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `${{ expression }}`, written so that nothing reads it as a template placeholder. */
const expr = (expression: string) => ['$', `{{ ${expression} }}`].join('');

const run = (steps: WorkflowStep[], context: Record<string, string> = {}) =>
  runJobSteps(steps, { workspace: dir, runnerTemp: dir, context, env: {}, remoteActions: {} });

describe('workflow-run (the rehearsal helper)', () => {
  it('evaluates ||, && and groups as GitHub does on strings, and reads unset secrets and vars as empty', () => {
    const ctx = { 'inputs.a': '', 'matrix.division': '3' };
    expect(evaluateExpression("inputs.a || 'x'", ctx, {})).toBe('x');
    expect(evaluateExpression("secrets.NOPE || vars.NOPE || 'fallback'", ctx, {})).toBe('fallback');
    expect(evaluateExpression("matrix.division == 'all' && 'one' || 'many'", ctx, {})).toBe('many');
    expect(evaluateExpression("(matrix.division == '3') && 'three'", ctx, {})).toBe('three');
    expect(() => evaluateExpression('github.unknown', ctx, {})).toThrow(/no value given for github\.unknown/);
  });

  it("follows GitHub's rules where the hand-written evaluator did not", () => {
    const ctx = { 'needs.snapshot.outputs.changed': 'false', 'inputs.force': true, 'matrix.division': '3' };
    // A non-empty string is true, 'false' included (ours read it as false).
    expect(evaluateExpression("needs.snapshot.outputs.changed && 'yes' || 'no'", ctx, {})).toBe('yes');
    // == ignores case and compares a string with a number as numbers.
    expect(evaluateExpression("'Schedule' == 'schedule'", ctx, {})).toBe('true');
    expect(evaluateExpression('matrix.division == 3', ctx, {})).toBe('true');
    // Functions, ! and typed inputs.
    expect(evaluateExpression("format('{0}-d{1}', 'opp', matrix.division)", ctx, {})).toBe('opp-d3');
    expect(evaluateExpression('fromJSON(\'["0","1"]\')[1]', ctx, {})).toBe('1');
    expect(evaluateExpression("!inputs.force && 'train' || 'forced'", ctx, {})).toBe('forced');
    expect(evaluateExpression('contains(fromJSON(\'["a","b"]\'), \'B\')', ctx, {})).toBe('true');
    expect(evaluateExpression('toJSON(fromJSON(\'{"a":1}\'))', ctx, {})).toBe('{\n  "a": 1\n}');
  });

  it("evaluates a job's if: with its needs' results, skipped when a needed job was skipped", () => {
    const condition =
      "always() && needs.snapshot.result == 'success' && (needs.train.result == 'success' || needs.aml.result == 'success')";
    const needs = (train: string, aml: string) => ({
      'needs.snapshot.result': 'success',
      'needs.train.result': train,
      'needs.aml.result': aml,
    });
    expect(jobRuns(condition, needs('success', 'skipped'))).toBe(true);
    expect(jobRuns(condition, needs('skipped', 'skipped'))).toBe(false);
    // No status function: ANDed with success(), so a skipped or failed need skips the job.
    expect(jobRuns("needs.snapshot.result == 'success'", needs('success', 'skipped'))).toBe(false);
    expect(jobRuns("needs.snapshot.result == 'success'", needs('success', 'success'))).toBe(true);
    expect(jobRuns('failure()', needs('failure', 'success'))).toBe(true);
    expect(jobRuns(undefined, needs('failure', 'success'))).toBe(false);
  });

  it('runs if: conditions, continue-on-error, GITHUB_ENV and step outcomes as the runner does', async () => {
    const job = await run([
      { id: 'soft', run: 'echo "A=from-env" >> "$GITHUB_ENV"; exit 3', 'continue-on-error': true },
      { id: 'seen', if: "steps.soft.outcome == 'failure'", run: 'echo "a=$A" >> "$GITHUB_OUTPUT"' },
      { id: 'hard', run: 'exit 1' },
      { id: 'skipped', run: 'echo "x=1" >> "$GITHUB_OUTPUT"' },
      { id: 'cleanup', if: 'always()', run: 'echo "done=yes" >> "$GITHUB_OUTPUT"' },
      {
        id: 'onfail',
        if: expr('failure()'),
        run: 'echo "status=$STATUS" >> "$GITHUB_OUTPUT"',
        env: { STATUS: expr('steps.skipped.outcome') },
      },
    ]);
    expect(job.failed).toBe(true);
    expect(job.failedStep).toBe('exit 1');
    expect(job.outputs.seen).toEqual({ a: 'from-env' });
    expect(job.outputs.skipped).toBeUndefined();
    expect(job.outputs.cleanup).toEqual({ done: 'yes' });
    expect(job.outputs.onfail).toEqual({ status: 'skipped' });
  });
});
