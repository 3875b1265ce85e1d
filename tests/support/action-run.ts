import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';

/**
 * Runs an action's `run()` in-process the way the runner would: inputs as `INPUT_*` env,
 * outputs and job summary through the `GITHUB_OUTPUT` / `GITHUB_STEP_SUMMARY` files,
 * workflow commands (`::error::`) captured from stdout, failure read from `process.exitCode`.
 *
 * `@actions/core` caches the summary file path on first use, so one harness (one summary
 * file, emptied before each run) serves a whole test file.
 */
export interface ActionRun {
  outputs: Record<string, string>;
  summary: string;
  stdout: string;
  failed: boolean;
  /** Messages of `::error` commands, the last one being `setFailed`'s. */
  errors: string[];
}

export interface ActionHarness {
  dir: string;
  run(
    run: () => Promise<void>,
    inputs: Record<string, string>,
    env?: Record<string, string>,
  ): Promise<ActionRun>;
  dispose(): void;
}

export function createActionHarness(): ActionHarness {
  const dir = mkdtempSync(join(tmpdir(), 'opp-action-'));
  const outputFile = join(dir, 'github-output');
  const summaryFile = join(dir, 'step-summary.md');
  return {
    dir,
    async run(run, inputs, env = {}) {
      writeFileSync(outputFile, '');
      writeFileSync(summaryFile, '');
      const saved = { ...process.env };
      for (const key of Object.keys(process.env)) if (key.startsWith('INPUT_')) delete process.env[key];
      Object.assign(
        process.env,
        { GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile, RUNNER_TEMP: dir },
        env,
      );
      for (const [name, value] of Object.entries(inputs))
        process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
      let stdout = '';
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        stdout += String(chunk);
        return true;
      });
      const exitCode = process.exitCode;
      process.exitCode = undefined;
      try {
        await run();
      } finally {
        spy.mockRestore();
        process.env = saved;
      }
      const failed = process.exitCode === 1;
      process.exitCode = exitCode;
      return {
        outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
        summary: readFileSync(summaryFile, 'utf8'),
        stdout,
        failed,
        errors: [...stdout.matchAll(/^::error(?: [^:]*)?::(.*)$/gm)].map((m) => decode(m[1]!)),
      };
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Parses the `name<<delimiter … delimiter` blocks of a GITHUB_OUTPUT file. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const pattern = /^([^<\n]+)<<(ghadelimiter_[\w-]+)\n([\s\S]*?)\n\2$/gm;
  for (const match of text.matchAll(pattern)) outputs[match[1]!] = match[3]!;
  return outputs;
}

/** Undoes the workflow-command escaping of `%`, CR and LF. */
function decode(text: string): string {
  return text.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');
}
