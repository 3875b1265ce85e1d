import * as core from '@actions/core';
import { connectAzureMl } from '../../../pipeline/azureml/create-client.js';
import { loadDeploymentConfig } from '../../../pipeline/config/deployment-config.js';
import { assertFiniteModelVersion } from '../../../pipeline/deployment/assert-finite-model-version.js';
import { type DeployResult, deployModelVersion } from '../../../pipeline/deployment/blue-green.js';
import { createDeploymentTarget } from '../../../pipeline/deployment/create-target.js';
import {
  type RolloutOverrides,
  resolveModelVersion,
  rolloutEndpoints,
  rolloutOptions,
} from '../../../pipeline/deployment/rollout-plan.js';
import { type DeploymentError, isDeploymentError } from '../../../pipeline/errors/DeploymentError.js';
import { createRegistry } from '../../../pipeline/registry/create-registry.js';
import { codeBlock, inlineCode } from '../../../pipeline/reports/markdown-escape.js';
import { cell, failWith, keyValueTable, writeSummary } from '../../shared/outcome.js';
import { recheckGate } from './gate-recheck.js';
import { readInputs } from './inputs.js';

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
    const model = await resolveModelVersion(registry, inputs.model);
    await assertFiniteModelVersion(registry, model);
    if (inputs.gate) await recheckGate(registry, model, inputs.gate);
    else core.warning(`skip-gate: deploying ${model.name}:${model.version} without re-checking the gate`);
    const target = await createDeploymentTarget(inputs.target ?? config.target, config, registry, connect);
    const overrides: RolloutOverrides = {
      endpoint: inputs.endpoint,
      steps: inputs.traffic,
      stepWaitSeconds: inputs.stepWaitSeconds,
      keep: inputs.keep,
      division: inputs.division,
      divisionsConfig: inputs.divisionsConfig,
    };
    const results: DeployResult[] = [];
    try {
      for (const endpoint of rolloutEndpoints(config, overrides)) {
        core.info(`deploying ${model.name}:${model.version} to ${target.kind} endpoint ${endpoint.name}`);
        results.push(
          await deployModelVersion(target, endpoint.name, model, {
            ...rolloutOptions(config, overrides, endpoint),
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

function successSummary(model: string, target: string, results: DeployResult[], promoted: boolean): string {
  return [
    `## opp deploy: ✅ ${cell(model)}`,
    '',
    `Target ${inlineCode(target)}${promoted ? '; promoted to production in the registry' : ''}.`,
    '',
    '| endpoint | deployment | traffic | deleted |',
    '| --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${cell(r.endpoint)} | ${cell(r.deployment)} | ${cell(JSON.stringify(r.traffic))} | ${cell(r.deleted.join(', ') || '-')} |`,
    ),
    ...results.flatMap((r) => r.warnings.map((w) => `\n> ⚠️ ${cell(r.endpoint)}: ${cell(w)}`)),
    '',
  ].join('\n');
}

/** The failure, where it failed, the traffic left behind, and the failed deployment's logs. */
function failureSummary(model: string, error: DeploymentError, done: DeployResult[]): string {
  const { details } = error;
  return [
    `## opp deploy: ❌ ${cell(model)}`,
    '',
    cell(error.message),
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
    codeBlock(details.logs ?? '(no logs were returned)', 'text'),
    '',
  ].join('\n');
}
