import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { type GateConfig, loadGateConfig } from '../../../pipeline/config/gate-config.js';
import { mergeGateConfig } from '../../../pipeline/gate/gate-bounds.js';
import { type ComparisonSource, ComparisonSources } from '../../../pipeline/reports/comparison-report.js';
import {
  getChoiceInput,
  getFileInput,
  getFlagInput,
  getJsonInput,
  getPositiveIntegerInput,
  getSecretInput,
  getShaInput,
} from '../../shared/inputs.js';

/** What the metrics-gate action does: `gate` checks; `report` also posts the PR comment. */
export const MODES = ['gate', 'report'] as const;
export type Mode = (typeof MODES)[number];

/** The action's inputs, parsed and checked (see action.yml for their descriptions and defaults). */
export interface MetricsGateInputs {
  mode: Mode;
  /** The candidate's report; absent when `artifact` is set. */
  report?: string;
  /** Folder of a PR report artifact (untrusted): replaces report, production, comparison and pull-request. */
  artifact?: string;
  /** The artifact came from a fork's run: the comment says its metrics are unverified. */
  fromFork: boolean;
  production?: string;
  comparison?: string;
  gateConfigFile: string;
  gate: GateConfig;
  /** The gate for models trained on sample records, loaded only when needed. */
  sampleGateConfigFile: string;
  /** Laid over either gate config. */
  gateOverrides?: unknown;
  /** Where the training data came from (`sample records (…)` selects the sample gate). */
  dataSource?: string;
  comparisonSource?: ComparisonSource;
  comparisonModel?: string;
  artifactUrl?: string;
  outputDir: string;
  token: string;
  pullRequest?: number;
  commentAuthor?: string;
  headSha?: string;
}

/** Reads every input once, at the edge. @throws TypeError or ConfigError naming the input or file. */
export function readInputs(): MetricsGateInputs {
  const mode = getChoiceInput('mode', MODES, 'gate');
  const gateConfigFile = getFileInput('gate-config') ?? 'configs/gate.json';
  const overrides = getJsonInput('gate-overrides');
  const base = loadGateConfig(gateConfigFile);
  const source = core.getInput('comparison-source');
  const token = getSecretInput('github-token', { required: mode === 'report' });
  // The artifact is only ever read by readPrArtifact (fixed names, no links): not checked here.
  const artifact = core.getInput('artifact') || undefined;
  if (artifact) {
    const replaced = ['report', 'production', 'comparison', 'pull-request'].filter((n) => core.getInput(n));
    if (replaced.length > 0)
      throw new TypeError(`Input artifact: replaces ${replaced.join(', ')}; leave them empty`);
    if (mode === 'report' && !core.getInput('head-sha'))
      throw new TypeError(
        'Input head-sha: required with artifact in report mode (the artifact names the pull request, and its code wrote it)',
      );
  }
  return {
    mode,
    report: artifact ? undefined : getFileInput('report', { required: true }),
    artifact,
    fromFork: getFlagInput('from-fork'),
    production: getFileInput('production'),
    comparison: getFileInput('comparison'),
    gateConfigFile,
    gate: overrides === undefined ? base : mergeGateConfig(base, overrides, 'input gate-overrides'),
    sampleGateConfigFile: core.getInput('sample-gate-config') || 'configs/examples/gate-sample-data.json',
    ...(overrides === undefined ? {} : { gateOverrides: overrides }),
    dataSource: core.getInput('data-source') || undefined,
    comparisonSource:
      source === '' ? undefined : getChoiceInput('comparison-source', ComparisonSources, 'none'),
    comparisonModel: core.getInput('comparison-model') || undefined,
    artifactUrl: core.getInput('artifact-url') || undefined,
    outputDir: core.getInput('output-dir') || join(process.env.RUNNER_TEMP || tmpdir(), 'opp-metrics-gate'),
    token,
    pullRequest: getPositiveIntegerInput('pull-request'),
    commentAuthor: core.getInput('comment-author') || undefined,
    headSha: getShaInput('head-sha'),
  };
}
