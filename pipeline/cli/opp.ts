#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { isMetricsGateError } from '../errors/MetricsGateError.js';
import { isOppError } from '../errors/OppError.js';
import { registerAml } from './commands/aml.js';
import { registerBackfill } from './commands/backfill.js';
import { registerCompare } from './commands/compare.js';
import { registerDemo } from './commands/demo.js';
import { registerDeploy } from './commands/deploy.js';
import { registerEndpoint } from './commands/endpoint.js';
import { registerFeatures } from './commands/features.js';
import { registerGate } from './commands/gate.js';
import { registerHpo } from './commands/hpo.js';
import { registerIngest } from './commands/ingest.js';
import { registerPredict } from './commands/predict.js';
import { registerQuarantine } from './commands/quarantine.js';
import { registerRegister, registerRetrainCheck } from './commands/register.js';
import { registerReport } from './commands/report.js';
import { registerRuns } from './commands/runs.js';
import { registerSample } from './commands/sample.js';
import { registerServe } from './commands/serve.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerSource } from './commands/source.js';
import { registerTrain } from './commands/train.js';

/** Builds the `opp` command line; exported so tests can run commands in-process. */
export function createProgram(): Command {
  const program = new Command('opp')
    .description('Opportunity prediction: ingest, train, gate, register, deploy and serve')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  // In pipeline order, as `opp --help` lists them.
  registerDemo(program);
  registerSample(program);
  registerSource(program);
  registerIngest(program);
  registerBackfill(program);
  registerSnapshot(program);
  registerQuarantine(program);
  registerFeatures(program);
  registerTrain(program);
  registerPredict(program);
  registerHpo(program);
  registerGate(program);
  registerCompare(program);
  registerReport(program);
  registerRuns(program);
  registerRegister(program);
  registerRetrainCheck(program);
  registerDeploy(program);
  registerEndpoint(program);
  registerServe(program);
  registerAml(program);
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
    if (isMetricsGateError(error) && error.reported) {
      process.stderr.write(`opp: ${error.message.split('\n')[0]!.replace(/:$/, '')} (details above)\n`);
      return 1;
    }
    if (json) {
      const name = error instanceof Error ? error.name : 'Error';
      // Typed errors with structured details (e.g. DeploymentError: phase, traffic, logs) keep them.
      const details = isOppError(error) && 'details' in error ? { details: error.details } : {};
      process.stdout.write(`${JSON.stringify({ error: { name, message, ...details } }, null, 2)}\n`);
    }
    process.stderr.write(`opp: ${isOppError(error) ? '' : 'unexpected error: '}${message}\n`);
    if (!isOppError(error) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/opp')) {
  process.exitCode = await main(process.argv.slice(2));
}
