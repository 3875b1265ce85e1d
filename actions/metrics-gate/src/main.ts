import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@actions/core';
import { type GateConfig, loadGateConfig } from '../../../pipeline/config/gate-config.js';
import { ArtifactError } from '../../../pipeline/errors/ArtifactError.js';
import { assertGatePassed } from '../../../pipeline/gate/assert-gate.js';
import { describeFailure, evaluateGate, type GateResult } from '../../../pipeline/gate/evaluate-gate.js';
import { mergeGateConfig } from '../../../pipeline/gate/gate-bounds.js';
import {
  createGitHubClient,
  resolveTokenLogin,
  upsertMarkedComment,
  verifyPullRequestHead,
} from '../../../pipeline/reports/github-comment.js';
import { renderMetricsSummary } from '../../../pipeline/reports/job-summary.js';
import { loadComparisonReport, loadMetricsReport } from '../../../pipeline/reports/load-reports.js';
import {
  type ComparisonModel,
  type MetricsCommentInput,
  renderMetricsComment,
} from '../../../pipeline/reports/pr-comment.js';
import { readPrArtifact } from '../../../pipeline/reports/read-pr-artifact.js';
import { pullRequestFromEvent, repositoryFromEnv, runUrlFromEnv } from '../../shared/github-env.js';
import { type MetricsGateInputs, readInputs } from './inputs.js';

/** The runner's job summary file; absent in some local runs. */
const SUMMARY_ENV = 'GITHUB_STEP_SUMMARY';

/** Runs the metrics gate: outputs, job summary, annotations, the PR comment in `report` mode. */
export async function run(): Promise<void> {
  try {
    const inputs = readInputs();
    const { report, production, comparison, comparisonModel, pullRequest, dataSource } = loadReports(inputs);
    const sample = isSampleData(inputs.dataSource ?? dataSource);
    const gate = evaluateGate(report, sample ? sampleGate(inputs) : inputs.gate, { production, comparison });
    const view: MetricsCommentInput = {
      report,
      gate,
      production,
      comparison,
      comparisonModel,
      artifactUrl: inputs.artifactUrl ?? runUrlFromEnv(),
      runUrl: runUrlFromEnv(),
      unverified: inputs.fromFork,
      dataSource: inputs.dataSource ?? dataSource,
      ...(sample ? { advisory: { gateConfig: inputs.sampleGateConfigFile } } : {}),
    };
    const markdown = renderMetricsComment(view);
    const fullReport = renderMetricsSummary(view);
    const files = writeReportFiles(inputs.outputDir, markdown, fullReport, gate);

    core.setOutput('passed', String(gate.passed));
    core.setOutput('reasons', gate.reasons.join('\n'));
    core.setOutput(
      'failing-divisions',
      JSON.stringify(gate.divisions.filter((d) => d.outcome === 'fail').map((d) => d.division)),
    );
    core.setOutput('report-markdown', files.comment);
    core.setOutput('full-report-markdown', files.report);
    core.setOutput('gate-result', files.gateResult);
    annotate(gate);
    if (process.env[SUMMARY_ENV]) await core.summary.addRaw(fullReport).write();
    else core.info(`${SUMMARY_ENV} is not set (not on a runner?): job summary skipped`);
    if (inputs.mode === 'report') await postComment(inputs, markdown, pullRequest);
    assertGatePassed(gate);
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
}

/** The reports, from their inputs or, with `artifact`, from the PR report artifact (checked file by file). */
function loadReports(inputs: MetricsGateInputs) {
  const given: ComparisonModel | undefined = inputs.comparisonSource
    ? { source: inputs.comparisonSource, modelVersion: inputs.comparisonModel }
    : undefined;
  if (!inputs.artifact) {
    return {
      report: loadMetricsReport(inputs.report!),
      production: inputs.production ? loadMetricsReport(inputs.production) : undefined,
      comparison: inputs.comparison ? loadComparisonReport(inputs.comparison) : undefined,
      comparisonModel: given,
      pullRequest: undefined,
      dataSource: undefined,
    };
  }
  const artifact = readPrArtifact(inputs.artifact);
  if (inputs.headSha && artifact.pullRequest.headSha !== inputs.headSha) {
    throw new ArtifactError(
      `artifact file pr.json: headSha ${artifact.pullRequest.headSha} is not the head-sha input ${inputs.headSha}: refused`,
      'pr.json',
    );
  }
  // A comparison report names its own comparison model; else the baseline is the base commit's.
  const fromArtifact: ComparisonModel | undefined = artifact.comparison
    ? undefined
    : artifact.baseline
      ? { source: 'base-commit', ...(artifact.baseline.gitSha ? { gitSha: artifact.baseline.gitSha } : {}) }
      : { source: 'none' };
  return {
    report: artifact.candidate,
    production: artifact.baseline,
    comparison: artifact.comparison,
    comparisonModel: given ?? fromArtifact,
    pullRequest: artifact.pullRequest.number,
    dataSource: artifact.pullRequest.data,
  };
}

/**
 * The run trained on sample records (pr.yml's data step says `sample records (…)` when no
 * snapshot is reachable, e.g. a fork's pull request): the production gate's bounds are for
 * real data, and sample data cannot meet them.
 */
export function isSampleData(dataSource: string | undefined): boolean {
  return dataSource !== undefined && /^sample\b/i.test(dataSource.trim());
}

/** The sample-data gate, with the same overrides as the production gate. */
function sampleGate(inputs: MetricsGateInputs): GateConfig {
  if (!existsSync(inputs.sampleGateConfigFile))
    throw new TypeError(`Input sample-gate-config: file not found: ${inputs.sampleGateConfigFile}`);
  const base = loadGateConfig(inputs.sampleGateConfigFile);
  return inputs.gateOverrides === undefined
    ? base
    : mergeGateConfig(base, inputs.gateOverrides, 'input gate-overrides');
}

/** One error annotation per failing check (metric and by how much) or data problem; warnings for divisions possibly worse; notices for other notes. */
function annotate(gate: GateResult): void {
  for (const division of gate.divisions) {
    const title = `metrics gate: division ${division.division}`;
    const failed = division.checks.filter((c) => !c.passed);
    for (const check of failed) core.error(describeFailure(check), { title: `${title} ${check.metric}` });
    const described = new Set(failed.map(describeFailure));
    for (const reason of division.reasons.filter((r) => !described.has(r))) core.error(reason, { title });
    // A division possibly worse needs a reviewer's look: a warning, not a notice.
    const review = gate.needsReview.includes(division.division);
    for (const note of division.notes)
      (review && note.startsWith('possibly worse:') ? core.warning : core.notice)(note, { title });
  }
}

function writeReportFiles(dir: string, comment: string, report: string, gate: GateResult) {
  mkdirSync(dir, { recursive: true });
  const files = {
    comment: join(dir, 'comment.md'),
    report: join(dir, 'report.md'),
    gateResult: join(dir, 'gate-result.json'),
  };
  writeFileSync(files.comment, comment);
  writeFileSync(files.report, report);
  writeFileSync(files.gateResult, `${JSON.stringify(gate, null, 2)}\n`);
  return files;
}

async function postComment(
  inputs: MetricsGateInputs,
  markdown: string,
  fromArtifact?: number,
): Promise<void> {
  const issueNumber = fromArtifact ?? inputs.pullRequest ?? pullRequestFromEvent();
  if (issueNumber === undefined) {
    core.warning('mode report: not a pull request event and no pull-request input: no comment posted');
    return;
  }
  const client = createGitHubClient(inputs.token);
  const issue = { ...repositoryFromEnv(), issueNumber };
  if (inputs.headSha) await verifyPullRequestHead(client, issue, inputs.headSha);
  const result = await upsertMarkedComment(client, issue, markdown, {
    author: inputs.commentAuthor ?? (await resolveTokenLogin(client)),
  });
  core.info(`metrics comment ${result.action}: ${result.url}`);
  core.setOutput('comment-id', String(result.commentId));
  core.setOutput('comment-url', result.url);
}
