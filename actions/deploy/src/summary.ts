import type { DeployResult } from '../../../pipeline/deployment/blue-green.js';
import type { HealthReport } from '../../../pipeline/deployment/deployment-target.js';
import type { DeploymentError } from '../../../pipeline/errors/DeploymentError.js';
import { codeBlock, inlineCode } from '../../../pipeline/reports/markdown-escape.js';
import { cell, keyValueTable } from '../../shared/outcome.js';

/** One traffic step as it happened: the share moved to the new deployment and what the probe saw. */
interface TrafficStep {
  endpoint: string;
  deployment: string;
  percent: number;
  traffic: Record<string, number>;
  health: HealthReport;
  /** Healthy, and the error rate within the rollout's maximum: the rollout went on. */
  passed: boolean;
  /** ISO time the step's check finished. */
  at: string;
}

/** A rollback as it happened. */
interface Rollback {
  endpoint: string;
  deployment: string;
  reason: string;
  traffic: Record<string, number>;
  at: string;
}

/** What the rollout did, for the job summary. */
export interface RolloutLog {
  /** `name:version`. */
  model: string;
  target: string;
  steps: TrafficStep[];
  rollbacks: Rollback[];
  /** The gate section (renderGateRecheck), or why the gate was not re-checked. */
  gate: string;
}

/** `{"a":90,"b":10}` as `a 90%, b 10%` (`none` when empty). */
function trafficText(traffic: Record<string, number>): string {
  const entries = Object.entries(traffic);
  return entries.length === 0 ? 'none' : entries.map(([name, pct]) => `${name} ${pct}%`).join(', ');
}

/** The deployments that served traffic before the rollout (`-` for a first deployment). */
function oldDeployments(previous: Record<string, number>, fresh: string): string {
  const old = Object.entries(previous).filter(([name, pct]) => name !== fresh && pct > 0);
  return old.length === 0 ? '-' : old.map(([name, pct]) => `${name} (${pct}% before)`).join(', ');
}

function stepsSection(steps: readonly TrafficStep[]): string {
  if (steps.length === 0) return '### Traffic steps\n\nNo traffic moved.';
  return [
    '### Traffic steps',
    '',
    '| endpoint | new deployment | its share | traffic | probe | time (UTC) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...steps.map(
      (s) =>
        `| ${cell(s.endpoint)} | ${cell(s.deployment)} | ${s.percent}% | ${cell(trafficText(s.traffic))} | ${s.passed ? '✅' : '❌'} error rate ${(100 * s.health.errorRate).toFixed(1)}%: ${cell(s.health.detail)} | ${cell(s.at)} |`,
    ),
  ].join('\n');
}

function rollbackSection(rollbacks: readonly Rollback[], rolledBack: boolean): string {
  if (rollbacks.length === 0) return '';
  return [
    '### Rollback',
    '',
    ...rollbacks.map(
      (r) =>
        `- ${cell(r.at)}: ${cell(r.endpoint)} ${rolledBack ? 'rolled back' : 'could not be rolled back'} from ${cell(r.deployment)}: ${cell(r.reason)}. Traffic ${rolledBack ? 'restored to' : 'left at'} ${cell(trafficText(r.traffic))}.`,
    ),
  ].join('\n');
}

/** What was rolled out (model, endpoints with their scoring URIs, new and old deployments), the steps, the gate. */
export function successSummary(
  log: RolloutLog,
  results: readonly DeployResult[],
  scoringUris: ReadonlyMap<string, string>,
  promoted: boolean,
): string {
  return [
    `## opp deploy: ✅ ${cell(log.model)}`,
    '',
    `Rolled out ${inlineCode(log.model)} on target ${inlineCode(log.target)}${promoted ? '; promoted to production in the registry' : ''}.`,
    '',
    '| endpoint | scoring URI | new deployment | old deployment | traffic now | deleted |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${cell(r.endpoint)} | ${scoringUris.has(r.endpoint) ? inlineCode(scoringUris.get(r.endpoint)!) : '-'} | ${cell(r.deployment)} | ${cell(oldDeployments(r.previousTraffic, r.deployment))} | ${cell(trafficText(r.traffic))} | ${cell(r.deleted.join(', ') || '-')} |`,
    ),
    ...results.flatMap((r) => r.warnings.map((w) => `\n> ⚠️ ${cell(r.endpoint)}: ${cell(w)}`)),
    '',
    stepsSection(log.steps),
    '',
    log.gate,
    '',
  ].join('\n');
}

/** The failure, where it failed, the steps and the rollback, the gate, and the failed deployment's logs. */
export function failureSummary(
  log: RolloutLog,
  error: DeploymentError,
  done: readonly DeployResult[],
): string {
  const { details } = error;
  const rollback = rollbackSection(log.rollbacks, details.rolledBack);
  return [
    `## opp deploy: ❌ ${cell(log.model)}`,
    '',
    cell(error.message),
    '',
    keyValueTable([
      ['endpoint', details.endpoint],
      ['deployment', details.deployment],
      ['failed at', details.phase],
      ['rolled back', details.rolledBack ? 'yes' : 'no'],
      ['traffic now', trafficText(details.traffic)],
      ['endpoints already deployed', done.map((r) => r.endpoint).join(', ') || '-'],
    ]),
    '',
    stepsSection(log.steps),
    '',
    ...(rollback ? [rollback, ''] : []),
    log.gate,
    '',
    '### Logs of the failed deployment',
    '',
    codeBlock(details.logs ?? '(no logs were returned)', 'text'),
    '',
  ].join('\n');
}

/** The gate refused the version: nothing was deployed. */
export function refusedSummary(log: RolloutLog): string {
  return [
    `## opp deploy: ❌ ${cell(log.model)} refused by the gate`,
    '',
    'Nothing was deployed and no traffic moved.',
    '',
    log.gate,
    '',
  ].join('\n');
}
