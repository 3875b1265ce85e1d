import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/** Runs a committed bundle with `INPUT_*` env; what it printed (it exits 1 on failure). */
async function runBundle(action: string, inputs: Record<string, string>): Promise<string> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [`actions/${action}/dist/index.js`],
      {
        env,
      },
    );
    return stdout + stderr;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
  }
}

// A bundle can build and still not load (e.g. two top-level declarations of one name): each
// must start, read its inputs and fail with the input's message, not a SyntaxError.
describe('committed bundles load and run their main', () => {
  it.each([
    ['ingest', { mode: 'backfill' }, 'from'],
    ['train', {}, 'data'],
    ['register', {}, 'bundle'],
    ['deploy', {}, 'model'],
    ['metrics-gate', {}, 'report'],
  ])('%s', async (action, inputs, required) => {
    const output = await runBundle(action, inputs);
    expect(output).toContain(`::error::Input required and not supplied: ${required}`);
    expect(output).not.toMatch(/SyntaxError|ReferenceError/);
  });
});
