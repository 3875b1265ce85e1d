import * as core from '@actions/core';
import { type GateConfig, loadGateConfig } from '../../../pipeline/config/gate-config.js';
import { parseTrafficSteps } from '../../../pipeline/deployment/traffic.js';
import type { RegistryKind } from '../../../pipeline/registry/create-registry.js';
import { requireModelRef } from '../../../pipeline/registry/model-registry.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';
import { applyAzureInputs } from '../../shared/azure-inputs.js';
import {
  getChoiceInput,
  getFileInput,
  getFlagInput,
  getPositiveIntegerInput,
  getWholeNumberInput,
} from '../../shared/inputs.js';

/** Deployment target and registry kinds an input may name. */
export const KINDS = ['local', 'azureml'] as const;

/** The deploy action's inputs, parsed and checked (see action.yml). */
export interface DeployInputs {
  model: { name: string; version: string };
  traffic?: number[];
  target?: 'local' | 'azureml';
  registry?: RegistryKind;
  endpoint?: string;
  config: string;
  divisionsConfig: string;
  /** Only this division (per-division mode); undefined: every division of the config. */
  division?: number;
  keep?: number;
  stepWaitSeconds?: number;
  promote: boolean;
  /** The gate to re-check on the version's registered metrics; undefined skips the check. */
  gate?: GateConfig;
}

/** Reads every input once, at the edge (workspace inputs go to the env the library reads). */
export function readInputs(): DeployInputs {
  applyAzureInputs();
  const target = core.getInput('target');
  const registry = core.getInput('registry');
  return {
    model: parsed('model', requireModelRef, core.getInput('model', { required: true })),
    traffic:
      core.getInput('traffic') === ''
        ? undefined
        : parsed('traffic', parseTrafficSteps, core.getInput('traffic')),
    target: target === '' ? undefined : getChoiceInput('target', KINDS, 'local'),
    registry: registry === '' ? undefined : getChoiceInput('registry', KINDS, 'local'),
    endpoint: core.getInput('endpoint') || undefined,
    config: getFileInput('config') ?? defaultConfigPath('deployment.json'),
    divisionsConfig: getFileInput('divisions-config') ?? defaultConfigPath('divisions.json'),
    division: getWholeNumberInput('division'),
    keep: getPositiveIntegerInput('keep'),
    stepWaitSeconds: getWholeNumberInput('step-wait'),
    promote: getFlagInput('promote'),
    gate: getFlagInput('skip-gate')
      ? undefined
      : loadGateConfig(getFileInput('gate-config') ?? defaultConfigPath('gate.json')),
  };
}

/** Runs a library parser on an input, naming the input in its error. */
function parsed<T>(name: string, parse: (value: string) => T, value: string): T {
  try {
    return parse(value);
  } catch (error) {
    throw new TypeError(`Input ${name}: ${(error as Error).message}`, { cause: error });
  }
}
