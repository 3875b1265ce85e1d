import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { type DemoResult, type DemoServices, runDemo, SAMPLE_DATA_GATE } from '../../demo/run-demo.js';
import { oppHome } from '../../util/opp-home.js';
import { wholeNumber } from '../options.js';
import { createOutput } from '../output.js';
import { createProgress } from '../progress.js';

interface DemoCliOptions {
  records: number;
  seed: number;
  workers: number;
  gate: string;
  exit?: boolean;
  json?: boolean;
}

/** `opp demo` (= `npm start`): the whole pipeline on embedded defaults, no cloud account. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the whole pipeline locally: sample source → ingest (Azurite) → snapshot → train → gate → register → deploy → score',
    )
    .option('--records <n>', 'sample records the local source serves', wholeNumber(500), 20_000)
    .option('--seed <n>', 'seed of the sample source and of training', wholeNumber(0), 42)
    .option('--workers <n>', 'worker threads for training', wholeNumber(1), availableParallelism())
    .option('--gate <file>', 'gate config for the sample data', SAMPLE_DATA_GATE)
    .option('--exit', 'stop everything after scoring the examples (default: keep serving until Ctrl-C)')
    .option('--json', 'print one JSON result on stdout')
    .action(async (opts: DemoCliOptions) => {
      const output = createOutput(Boolean(opts.json));
      const services: DemoServices = { stop: async () => undefined };
      let stopping = false;
      const stop = async (code: number) => {
        if (stopping) return;
        stopping = true;
        output.note('stopping the endpoint, its servers, the sample source and Azurite...');
        await services.stop();
        process.exit(code);
      };
      const onSignal = () => void stop(130);
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let result: DemoResult;
      try {
        result = await runDemo(
          {
            records: opts.records,
            seed: opts.seed,
            workers: opts.workers,
            gate: opts.gate,
            progress: {
              step: (title) => output.note(title),
              bar: (label, total, unit) => {
                const bar = createProgress(label, total, unit, { detail: true });
                return {
                  update: (done, detail) => bar.update(done, { detail: detail ?? '' }),
                  stop: () => bar.stop(),
                };
              },
            },
          },
          services,
        );
      } catch (error) {
        await services.stop();
        throw error;
      }
      output.result(result, () => describe(result));
      if (opts.exit) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await services.stop();
        return;
      }
      output.note(`\nserving at ${result.deployment.url}/score: Ctrl-C stops everything`);
      await new Promise<never>(() => undefined);
    });
}

function describe(r: DemoResult): string {
  const models = r.training.models
    .map(
      (m) =>
        `    division ${m.division}: ${m.status}${m.testAuc !== undefined ? `, test AUC ${m.testAuc.toFixed(3)}` : ''}`,
    )
    .join('\n');
  const examples = r.examples
    .map((e) => `    ${e.name}: HTTP ${e.status}\n      ${JSON.stringify(e.response).slice(0, 400)}`)
    .join('\n');
  return [
    '',
    `opp demo finished in ${r.seconds.toFixed(0)} s; everything is under ${oppHome()}`,
    `  source      ${r.source.records} sample records at ${r.source.url}`,
    `  ingest      backfill: ${r.backfill.windows} windows (${r.backfill.skipped} re-used), ${r.backfill.listed} listed, ${r.backfill.kept} training rows, ${r.backfill.excluded} excluded, ${r.backfill.quarantined} quarantined; incremental: ${r.ingest.listed} listed, watermark ${r.ingest.watermark}`,
    `  storage     Azurite data in ${r.storage.azurite}`,
    `  snapshot    ${r.snapshot.id.slice(0, 16)}… ${r.snapshot.rows} rows, ${r.snapshot.positives} positive${r.snapshot.reused ? ' (re-used)' : ''}`,
    `  models      ${r.training.out}${r.training.reused ? ' (re-used)' : ` trained in ${r.training.seconds.toFixed(0)} s`}`,
    models,
    `  gate        ${r.gate.passed ? 'passed' : 'FAILED'} (${r.gate.config})${r.gate.reasons.length ? `\n${r.gate.reasons.map((x) => `    ${x}`).join('\n')}` : ''}`,
    `  registry    ${r.registry.name} version ${r.registry.version} (${r.registry.stage})`,
    `  endpoint    ${r.deployment.endpoint} at ${r.deployment.url}, serving version ${r.deployedVersion}, traffic ${JSON.stringify(r.deployment.traffic)}`,
    '  examples',
    examples,
    `  report      ${r.report}`,
    `  try         curl -s ${r.deployment.url}/score -H 'Content-Type: application/json' -d '${JSON.stringify(r.examples[0]?.request ?? {})}'`,
  ].join('\n');
}
