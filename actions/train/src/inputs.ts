import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { type BackendName, BackendNames } from '../../../model/tf/backend.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';
import {
  getChoiceInput,
  getFileInput,
  getPositiveIntegerInput,
  getWholeNumberInput,
} from '../../shared/inputs.js';

/** The train action's inputs, parsed and checked (see action.yml). */
export interface TrainInputs {
  data: string;
  out: string;
  division: 'all' | number;
  config: string;
  divisions: string;
  spec: string;
  seed?: number;
  workers: number;
  /** Empty: `$OPP_BACKEND`, else the config's `training.backend`. */
  backend?: BackendName;
}

/** Reads every input once, at the edge. @throws TypeError naming the input. */
export function readInputs(): TrainInputs {
  const backend = core.getInput('backend');
  return {
    data: getFileInput('data', { required: true })!,
    out: core.getInput('out') || join(process.env.RUNNER_TEMP || tmpdir(), 'opp-train'),
    division: divisionInput('division'),
    config: getFileInput('config') ?? defaultConfigPath('production.json'),
    divisions: getFileInput('divisions') ?? defaultConfigPath('divisions.json'),
    spec: getFileInput('spec') ?? defaultConfigPath('features.json'),
    seed: getWholeNumberInput('seed'),
    workers: getPositiveIntegerInput('workers') ?? 1,
    backend: backend === '' ? undefined : getChoiceInput('backend', BackendNames, 'auto'),
  };
}

/** `all` (or empty), or a division number (0 = the general model). */
function divisionInput(name: string): 'all' | number {
  const value = core.getInput(name).trim().toLowerCase();
  if (value === '' || value === 'all') return 'all';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new TypeError(`Input ${name}: expected "all" or a division number, but got "${value}"`);
  return n;
}
