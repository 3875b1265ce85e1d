import * as core from '@actions/core';
import type { RegistryKind } from '../../../pipeline/registry/create-registry.js';
import { MODEL_STAGES, type ModelStage } from '../../../pipeline/registry/model-registry.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';
import { applyAzureInputs } from '../../shared/azure-inputs.js';
import { getChoiceInput, getFileInput } from '../../shared/inputs.js';

/** Registry kinds an input may name. */
export const REGISTRY_KINDS = ['local', 'azureml'] as const;

/** The register action's inputs, parsed and checked (see action.yml). */
export interface RegisterInputs {
  bundle: string;
  name: string;
  stage: ModelStage;
  tags: Record<string, string>;
  registry?: RegistryKind;
  config: string;
  snapshotId?: string;
  gitSha?: string;
  /** Register nothing when a production or candidate version was trained on the same snapshot. */
  skipSameSnapshot: boolean;
}

/** Reads every input once, at the edge (workspace inputs go to the env the library reads). */
export function readInputs(): RegisterInputs {
  applyAzureInputs();
  const registry = core.getInput('registry');
  return {
    bundle: getFileInput('bundle', { required: true })!,
    name: core.getInput('name', { required: true }),
    stage: getChoiceInput('stage', MODEL_STAGES, 'candidate'),
    tags: keyValueLines('tags'),
    registry: registry === '' ? undefined : getChoiceInput('registry', REGISTRY_KINDS, 'local'),
    config: getFileInput('config') ?? defaultConfigPath('deployment.json'),
    snapshotId: core.getInput('snapshot-id') || undefined,
    gitSha: core.getInput('git-sha') || undefined,
    skipSameSnapshot:
      core.getInput('skip-same-snapshot') === '' ? false : core.getBooleanInput('skip-same-snapshot'),
  };
}

/** `key=value` lines (blank lines ignored) into a record. */
function keyValueLines(name: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const line of core.getMultilineInput(name)) {
    const i = line.indexOf('=');
    if (i <= 0) throw new TypeError(`Input ${name}: expected key=value lines, but got "${line}"`);
    tags[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return tags;
}
