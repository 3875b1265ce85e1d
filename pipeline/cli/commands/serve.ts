import type { Command } from 'commander';
import { loadModelSet } from '../../../model/server/load-model-set.js';
import { ScoringServer } from '../../../model/server/ScoringServer.js';
import { loadDivisionsConfig } from '../../config/divisions-config.js';
import { ConfigError } from '../../errors/ConfigError.js';
import { defaultConfigPath } from '../../util/package-root.js';
import { wholeNumber } from '../options.js';
import { createOutput } from '../output.js';

/** Comma-separated scoring keys accepted as `Authorization: Bearer <key>`. */
export const SCORING_KEYS_ENV = 'OPP_SCORING_KEYS';
/** Set by the local deployment target: the registry version being served. */
export const MODEL_VERSION_ENV = 'OPP_MODEL_VERSION';
/** Set by Azure ML in a custom-container deployment: where the registered model is mounted. */
export const AZUREML_MODEL_DIR_ENV = 'AZUREML_MODEL_DIR';

interface ServeOptions {
  model?: string;
  version?: string;
  host: string;
  port: number;
  auth: boolean;
  divisions: string;
  maxInstances: number;
  json?: boolean;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve models over HTTP: POST /score, GET /health/live, /health/ready, /metrics')
    .option('--model <dir>', `training output folder or bundle (default: $${AZUREML_MODEL_DIR_ENV})`)
    .option('--version <v>', `version to report (default: $${MODEL_VERSION_ENV}, else a hash of each bundle)`)
    .option('--host <address>', 'interface to listen on', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', wholeNumber(0), 8080)
    .option(
      '--no-auth',
      `accept requests without a key (local use only); otherwise keys come from $${SCORING_KEYS_ENV}`,
    )
    .option('--divisions <file>', 'division ids a request may name', defaultConfigPath('divisions.json'))
    .option('--max-instances <n>', 'most instances in one request', wholeNumber(1), 1000)
    .option('--json', 'print one JSON line with the URL once listening')
    .action(async (opts: ServeOptions) => {
      const output = createOutput(Boolean(opts.json));
      const dir = opts.model ?? process.env[AZUREML_MODEL_DIR_ENV];
      if (!dir) throw new ConfigError(`no model: pass --model <dir> or set $${AZUREML_MODEL_DIR_ENV}`);
      const keys = opts.auth ? scoringKeys() : null;
      const version = opts.version ?? process.env[MODEL_VERSION_ENV] ?? undefined;
      const divisions = loadDivisionsConfig(opts.divisions).divisions.map((d) => d.id);
      const server = await ScoringServer.start({
        models: await loadModelSet(dir, version),
        divisions,
        keys,
        host: opts.host,
        port: opts.port,
        maxInstances: opts.maxInstances,
      });
      const models = [...server.models.models.values()].map((m) => m.identity);
      output.result({ url: server.url, models, auth: keys !== null }, () =>
        [
          `serving ${models.length} model(s) from ${server.models.source} at ${server.url}${keys ? '' : ' (no authentication)'}`,
          ...models.map((m) => `  division ${m.division}: ${m.name} ${m.version}`),
          'SIGHUP reloads the models; SIGTERM or Ctrl-C stops after answering requests in flight.',
        ].join('\n'),
      );
      process.on('SIGHUP', () => {
        loadModelSet(dir, version)
          .then((set) => {
            server.swapModels(set);
            output.note(`reloaded models from ${set.source}`);
          })
          .catch((error: Error) =>
            output.note(`reload failed, still serving the previous models: ${error.message}`),
          );
      });
      await new Promise<void>((resolve) => {
        const stop = () => {
          output.note('stopping: answering requests in flight');
          void server.close().then(resolve);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
}

function scoringKeys(): string[] {
  const keys = (process.env[SCORING_KEYS_ENV] ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (keys.length === 0) {
    throw new ConfigError(
      `no scoring keys: set $${SCORING_KEYS_ENV} (comma-separated), or pass --no-auth for local use`,
    );
  }
  return keys;
}
