import * as core from '@actions/core';
import { connectAzureMl } from '../../../pipeline/azureml/create-client.js';
import { loadDeploymentConfig } from '../../../pipeline/config/deployment-config.js';
import { assertFiniteModelVersion } from '../../../pipeline/deployment/assert-finite-model-version.js';
import {
  BLUE_GREEN_DEFAULTS,
  type DeployResult,
  deployModelVersion,
} from '../../../pipeline/deployment/blue-green.js';
import { createDeploymentTarget } from '../../../pipeline/deployment/create-target.js';
import {
  type RolloutOverrides,
  resolveModelVersion,
  rolloutEndpoints,
  rolloutOptions,
} from '../../../pipeline/deployment/rollout-plan.js';
import { isDeploymentError } from '../../../pipeline/errors/DeploymentError.js';
import { assertGatePassed } from '../../../pipeline/gate/assert-gate.js';
import { recheckGate } from '../../../pipeline/gate/recheck-gate.js';
import { createRegistry } from '../../../pipeline/registry/create-registry.js';
import { renderGateRecheck } from '../../../pipeline/reports/job-summary.js';
import { inlineCode } from '../../../pipeline/reports/markdown-escape.js';
import { failWith, writeSummary } from '../../shared/outcome.js';
import { readInputs } from './inputs.js';
import { failureSummary, type RolloutLog, refusedSummary, successSummary } from './summary.js';

/**
 * Blue/green rollout of a registered model version; a failed rollout is rolled back by the
 * library. The job summary says what was rolled out, each traffic step as it happened, the gate
 * it re-checked, and the rollback if one happened; `scoring-uri` is the endpoint's URL.
 */
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
    const name = `${model.name}:${model.version}`;
    const log: RolloutLog = {
      model: name,
      target: inputs.target ?? config.target,
      steps: [],
      rollbacks: [],
      gate: `### Gate not re-checked\n\n\`skip-gate\` was set: the gate was not re-checked on ${inlineCode(name)}.`,
    };
    if (inputs.gate) {
      const checked = await recheckGate(registry, model, inputs.gate, process.env.RUNNER_TEMP || undefined);
      core.setOutput('gate-passed', String(checked.gate.passed));
      core.info(`gate re-checked on ${name}: ${checked.gate.passed ? 'passed' : 'failed'}`);
      log.gate = renderGateRecheck(name, checked.report, checked.gate);
      if (!checked.gate.passed) await writeSummary(refusedSummary(log));
      assertGatePassed(checked.gate);
    } else core.warning(`skip-gate: deploying ${name} without re-checking the gate`);
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
        core.info(`deploying ${name} to ${target.kind} endpoint ${endpoint.name}`);
        const options = rolloutOptions(config, overrides, endpoint);
        const maxErrorRate = options.maxErrorRate ?? BLUE_GREEN_DEFAULTS.maxErrorRate;
        results.push(
          await deployModelVersion(target, endpoint.name, model, {
            ...options,
            onProgress: (e) => {
              const at = new Date().toISOString();
              if (e.stage === 'traffic') {
                core.info(`  ${e.percent}% on ${e.deployment}: ${e.health.detail}`);
                const passed = e.health.healthy && e.health.errorRate <= maxErrorRate;
                log.steps.push({
                  endpoint: endpoint.name,
                  deployment: e.deployment,
                  percent: e.percent,
                  traffic: e.traffic,
                  health: e.health,
                  passed,
                  at,
                });
              } else if (e.stage === 'rollback') {
                core.warning(`rolling back ${e.deployment}: ${e.reason}`);
                log.rollbacks.push({
                  endpoint: endpoint.name,
                  deployment: e.deployment,
                  reason: e.reason,
                  traffic: e.traffic,
                  at,
                });
              }
            },
          }),
        );
      }
    } catch (error) {
      if (isDeploymentError(error)) await writeSummary(failureSummary(log, error, results));
      throw error;
    }
    if (inputs.promote) await registry.setStage(model.name, model.version, 'production');
    const scoringUris = new Map<string, string>();
    for (const r of results) {
      const uri = await target.scoringUri?.(r.endpoint);
      if (uri) scoringUris.set(r.endpoint, uri);
    }
    core.setOutput('model', name);
    core.setOutput('version', model.version);
    core.setOutput('endpoints', JSON.stringify(results.map((r) => r.endpoint)));
    core.setOutput('deployments', JSON.stringify(results.map((r) => r.deployment)));
    core.setOutput(
      'traffic',
      JSON.stringify(Object.fromEntries(results.map((r) => [r.endpoint, r.traffic]))),
    );
    // The first endpoint's (the only one in single-endpoint mode): the GitHub deployment's URL.
    const first = results[0] && scoringUris.get(results[0].endpoint);
    if (first) core.setOutput('scoring-uri', first);
    core.setOutput('promoted', String(inputs.promote));
    await writeSummary(successSummary(log, results, scoringUris, inputs.promote));
  } catch (error) {
    failWith(error);
  }
}
