import { readFile, rm } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { type AzureConnectionOverrides, connectAzureMl } from '../../azureml/create-client.js';
import { loadDeploymentConfig } from '../../config/deployment-config.js';
import { loadGateConfig } from '../../config/gate-config.js';
import { assertFiniteModelVersion } from '../../deployment/assert-finite-model-version.js';
import { beginDeploy, type DeployResult } from '../../deployment/blue-green.js';
import { createDeploymentTarget } from '../../deployment/create-target.js';
import { DeployPoller } from '../../deployment/DeployPoller.js';
import {
  type RolloutOverrides,
  resolveModelVersion,
  rolloutEndpoints,
  rolloutOptions,
} from '../../deployment/rollout-plan.js';
import { parseTrafficSteps } from '../../deployment/traffic.js';
import { isDeploymentError } from '../../errors/DeploymentError.js';
import { assertGatePassed } from '../../gate/assert-gate.js';
import { recheckGate } from '../../gate/recheck-gate.js';
import { AtomicFile } from '../../io/AtomicFile.js';
import { createRegistry, type RegistryKind } from '../../registry/create-registry.js';
import { type ModelVersion, requireModelRef } from '../../registry/model-registry.js';
import { oppPath } from '../../util/opp-home.js';
import { defaultConfigPath } from '../../util/package-root.js';
import { cliParser, endpointName, wholeNumber } from '../options.js';
import { createOutput } from '../output.js';

interface DeployOptions {
  model: { name: string; version: string };
  traffic?: number[];
  target?: 'local' | 'azureml';
  registry?: RegistryKind;
  endpoint?: string;
  config: string;
  divisionsConfig: string;
  division?: number;
  keep?: number;
  stepWait?: number;
  promote?: boolean;
  resume?: boolean;
  gateConfig: string;
  skipGate?: boolean;
  json?: boolean;
}

/** Where `opp deploy` keeps the poller token of a rollout in progress, per endpoint. */
export function rolloutFile(endpoint: string): string {
  return oppPath('rollouts', `${endpoint}.token`);
}

/** Parses `name:version` (version a number or `production`) for commander. */
const modelRef = cliParser(requireModelRef);

/** Parses `10,100` into ascending traffic steps ending at 100, for commander. */
const trafficSteps = cliParser(parseTrafficSteps);

/** `opp deploy`: blue/green rollout of a registered model version, with rollback on failure. */
export function registerDeploy(program: Command, azure: AzureConnectionOverrides = {}): void {
  program
    .command('deploy')
    .description(
      'Deploy a registered model version blue/green: new deployment, traffic steps, rollback on failure',
    )
    .requiredOption(
      '--model <name:version>',
      'model version to deploy (version number or "production")',
      modelRef,
    )
    .option(
      '--traffic <steps>',
      'traffic steps in percent, e.g. 10,100 (default: from the config)',
      trafficSteps,
    )
    .addOption(
      new Option('--target <kind>', 'where to deploy (default: from the config)').choices([
        'local',
        'azureml',
      ]),
    )
    .addOption(
      new Option('--registry <kind>', 'registry (default: from the config)').choices(['local', 'azureml']),
    )
    .option('--endpoint <name>', 'endpoint name (default: from the config)', endpointName)
    .option('--config <file>', 'deployment config', defaultConfigPath('deployment.json'))
    .option('--divisions-config <file>', 'divisions (per-division mode)', defaultConfigPath('divisions.json'))
    .option('--division <id>', "only this division's endpoint (per-division mode)", wholeNumber(0))
    .option('--keep <n>', 'deployments kept per endpoint (default: from the config)', wholeNumber(1))
    .option('--step-wait <seconds>', 'wait at each traffic step (default: from the config)', wholeNumber(0))
    .option('--promote', 'mark the version production in the registry once deployed')
    .option('--resume', 'continue an interrupted rollout of this version from where it stopped')
    .option(
      '--gate-config <file>',
      "gate re-checked on the version's registered metrics.json before any traffic moves",
      defaultConfigPath('gate.json'),
    )
    .option('--skip-gate', 'deploy without re-checking the gate (an emergency rollback to a known version)')
    .option('--json', 'print one JSON result on stdout')
    .action(async (opts: DeployOptions) => {
      const output = createOutput(Boolean(opts.json));
      const config = loadDeploymentConfig(opts.config);
      let connection: ReturnType<typeof connectAzureMl> | undefined;
      const connect = () => {
        connection ??= connectAzureMl(azure);
        return connection;
      };
      const registry = await createRegistry(opts.registry ?? config.registry, connect);
      const model = await resolveModelVersion(registry, opts.model);
      await assertFiniteModelVersion(registry, model);
      const name = `${model.name}:${model.version}`;
      if (opts.skipGate) output.note(`skip-gate: deploying ${name} without re-checking the gate`);
      else {
        const checked = await recheckGate(registry, model, loadGateConfig(opts.gateConfig));
        output.note(`gate re-checked on ${name}: ${checked.gate.passed ? 'passed' : 'failed'}`);
        assertGatePassed(checked.gate);
      }
      const target = await createDeploymentTarget(opts.target ?? config.target, config, registry, connect);
      const overrides: RolloutOverrides = {
        endpoint: opts.endpoint,
        steps: opts.traffic,
        stepWaitSeconds: opts.stepWait,
        keep: opts.keep,
        division: opts.division,
        divisionsConfig: opts.divisionsConfig,
      };
      const results: DeployResult[] = [];
      for (const endpoint of rolloutEndpoints(config, overrides)) {
        const name = endpoint.name;
        output.note(`deploying ${model.name}:${model.version} to ${target.kind} endpoint ${name}`);
        const file = rolloutFile(name);
        let token = opts.resume ? await readFile(file, 'utf8').catch(() => undefined) : undefined;
        if (token && !sameRollout(token, model)) {
          output.note(`  the rollout saved in ${file} is of another version: starting afresh`);
          token = undefined;
        }
        if (token) output.note(`  resuming the rollout saved in ${file}`);
        const poller = beginDeploy(target, name, model, {
          ...rolloutOptions(config, overrides, endpoint),
          ...(token ? { resumeFrom: token } : {}),
          onProgress: (e) => {
            if (e.stage === 'traffic') output.note(`  ${e.percent}% on ${e.deployment}: ${e.health.detail}`);
            else if (e.stage === 'healthy') output.note(`  ${e.deployment} is healthy`);
            else if (e.stage === 'rollback') output.note(`  rolling back: ${e.reason}`);
            else if (e.stage === 'cleanup' && e.deleted.length > 0)
              output.note(`  deleted ${e.deleted.join(', ')}`);
          },
        });
        try {
          results.push(await poller.pollUntilDone({ onPoll: (p) => AtomicFile.write(file, p.toString()) }));
          await rm(file, { force: true });
        } catch (error) {
          // A DeploymentError has rolled back: nothing to resume. Anything else (network,
          // abort) leaves the rollout half-way: keep its token for --resume.
          if (isDeploymentError(error)) await rm(file, { force: true });
          else output.note(`  interrupted: run again with --resume to continue from ${file}`);
          throw error;
        }
      }
      if (opts.promote) await registry.setStage(model.name, model.version, 'production');
      output.result(
        {
          target: target.kind,
          model: model.name,
          version: model.version,
          promoted: Boolean(opts.promote),
          gateRechecked: !opts.skipGate,
          endpoints: results,
        },
        () =>
          results
            .map(
              (r) =>
                `deployed ${r.model}:${r.version} as ${r.deployment} on ${r.endpoint}: traffic ${JSON.stringify(r.traffic)}`,
            )
            .join('\n'),
      );
    });
}

/** Whether a saved rollout token is of this model version. */
function sameRollout(token: string, model: ModelVersion): boolean {
  try {
    const state = DeployPoller.parseToken(token);
    return state.model.name === model.name && state.model.version === model.version;
  } catch {
    return false;
  }
}
