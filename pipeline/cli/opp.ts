#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { isOppError } from '../errors/OppError.js';
import { registerFeatures } from './commands/features.js';
import { registerPredict } from './commands/predict.js';
import { registerSample } from './commands/sample.js';
import { registerTrain } from './commands/train.js';

/** Builds the `opp` command line; exported so tests can run commands in-process. */
export function createProgram(): Command {
  const program = new Command('opp')
    .description('Opportunity prediction: ingest, train, gate, register, deploy and serve')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerSample(program);
  registerFeatures(program);
  registerTrain(program);
  registerPredict(program);
  return program;
}

/** Runs the CLI and returns the process exit code: 0 ok, 1 failed, 2 bad usage. */
export async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    await createProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
        ? 0
        : 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (json) {
      const name = error instanceof Error ? error.name : 'Error';
      process.stdout.write(`${JSON.stringify({ error: { name, message } }, null, 2)}\n`);
    }
    process.stderr.write(`opp: ${isOppError(error) ? '' : 'unexpected error: '}${message}\n`);
    if (!isOppError(error) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/opp')) {
  process.exitCode = await main(process.argv.slice(2));
}
