import * as core from '@actions/core';
import { connectAzureMl } from '../../../pipeline/azureml/create-client.js';
import { loadDeploymentConfig } from '../../../pipeline/config/deployment-config.js';
import { loadDivisionsConfig } from '../../../pipeline/config/divisions-config.js';
import { type DeployResult, deployModelVersion } from '../../../pipeline/deployment/blue-green.js';
import { createDeploymentTarget } from '../../../pipeline/deployment/create-target.js';
import { type DeploymentError, isDeploymentError } from '../../../pipeline/errors/DeploymentError.js';
import { RegistryError } from '../../../pipeline/errors/RegistryError.js';
import { createRegistry } from '../../../pipeline/registry/create-registry.js';
import { cell, failWith, keyValueTable, writeSummary } from '../../shared/outcome.js';
import { recheckGate } from './gate-recheck.js';
import { type DeployInputs, readInputs } from './inputs.js';

const MS = 1000;

/** Blue/green rollout of a registered model version; a failed rollout is rolled back by the library. */
export async function run(): Promise<void> {
  try {
    const inputs = readInputs();
    const config = loadDeploymentConfig(inputs.config);
    let connection: ReturnType<typeof connectAzureMl> | undefined;
    const connect = () => {
      connection ??= connectAzureMl();
      return connection;
    };
    const registry = await createRegistry(inputs.registry ?? config.registry, connect);
    const model =
      inputs.model.version === 'production'
        ? await registry.getProduction(inputs.model.name)
        : await registry.getVersion(inputs.model.name, inputs.model.version);
    if (!model)
      throw new RegistryError(`model ${inputs.model.name} has no production version`, inputs.model.name);
    if (inputs.gate) await recheckGate(registry, model, inputs.gate);
    else core.warning(`skip-gate: deploying ${model.name}:${model.version} without re-checking the gate`);
    const target = await createDeploymentTarget(inputs.target ?? config.target, config, registry, connect);
    const endpoint = inputs.endpoint ?? config.endpoint;
    const results: DeployResult[] = [];
    try {
      for (const division of divisionsToDeploy(inputs, config.divisions.mode)) {
        const name = division === undefined ? endpoint : `${endpoint}-d${division}`;
        core.info(`deploying ${model.name}:${model.version} to ${target.kind} endpoint ${name}`);
        results.push(
          await deployModelVersion(target, name, model, {
            steps: inputs.traffic ?? config.traffic.steps,
            stepWaitMs: (inputs.stepWaitSeconds ?? config.traffic.stepWaitSeconds) * MS,
            maxErrorRate: config.traffic.maxErrorRate,
            healthTimeoutMs: config.traffic.healthTimeoutSeconds * MS,
            healthPollMs: config.traffic.healthPollSeconds * MS,
            keepDeployments: inputs.keep ?? config.keepDeployments,
            logTailLines: config.logTailLines,
            ...(division !== undefined ? { division } : {}),
            onProgress: (e) => {
              if (e.stage === 'traffic') core.info(`  ${e.percent}% on ${e.deployment}: ${e.health.detail}`);
              else if (e.stage === 'rollback') core.warning(`rolling back ${e.deployment}: ${e.reason}`);
            },
          }),
        );
      }
    } catch (error) {
      if (isDeploymentError(error))
        await writeSummary(failureSummary(`${model.name}:${model.version}`, error, results));
      throw error;
    }
    if (inputs.promote) await registry.setStage(model.name, model.version, 'production');
    core.setOutput('model', `${model.name}:${model.version}`);
    core.setOutput('version', model.version);
    core.setOutput('endpoints', JSON.stringify(results.map((r) => r.endpoint)));
    core.setOutput('deployments', JSON.stringify(results.map((r) => r.deployment)));
    core.setOutput(
      'traffic',
      JSON.stringify(Object.fromEntries(results.map((r) => [r.endpoint, r.traffic]))),
    );
    core.setOutput('promoted', String(inputs.promote));
    await writeSummary(
      successSummary(`${model.name}:${model.version}`, target.kind, results, inputs.promote),
    );
  } catch (error) {
    failWith(error);
  }
}

/** The divisions to roll out: one endpoint in single-endpoint mode, else each (or the chosen) division. */
function divisionsToDeploy(
  inputs: DeployInputs,
  mode: 'single-endpoint' | 'per-division',
): (number | undefined)[] {
  if (mode === 'single-endpoint') {
    if (inputs.division !== undefined)
      throw new TypeError(
        'Input division: the deployment config is single-endpoint (one deployment for all divisions)',
      );
    return [undefined];
  }
  const ids = loadDivisionsConfig(inputs.divisionsConfig).divisions.map((d) => d.id);
  if (inputs.division === undefined) return ids;
  if (!ids.includes(inputs.division))
    throw new TypeError(
      `Input division: ${inputs.division} is not in ${inputs.divisionsConfig} (${ids.join(', ')})`,
    );
  return [inputs.division];
}

function successSummary(model: string, target: string, results: DeployResult[], promoted: boolean): string {
  return [
    `## opp deploy: ✅ ${model}`,
    '',
    `Target \`${target}\`${promoted ? '; promoted to production in the registry' : ''}.`,
    '',
    '| endpoint | deployment | traffic | deleted |',
    '| --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${cell(r.endpoint)} | ${cell(r.deployment)} | ${cell(JSON.stringify(r.traffic))} | ${cell(r.deleted.join(', ') || '-')} |`,
    ),
    ...results.flatMap((r) => r.warnings.map((w) => `\n> ⚠️ ${r.endpoint}: ${w}`)),
    '',
  ].join('\n');
}

/** The failure, where it failed, the traffic left behind, and the failed deployment's logs. */
function failureSummary(model: string, error: DeploymentError, done: DeployResult[]): string {
  const { details } = error;
  return [
    `## opp deploy: ❌ ${model}`,
    '',
    error.message,
    '',
    keyValueTable([
      ['endpoint', details.endpoint],
      ['deployment', details.deployment],
      ['failed at', details.phase],
      ['rolled back', details.rolledBack ? 'yes' : 'no'],
      ['traffic now', JSON.stringify(details.traffic)],
      ['endpoints already deployed', done.map((r) => r.endpoint).join(', ') || '-'],
    ]),
    '',
    '### Logs of the failed deployment',
    '',
    '```text',
    (details.logs ?? '(no logs were returned)').replace(/```/g, '``\u200b`'),
    '```',
    '',
  ].join('\n');
}
