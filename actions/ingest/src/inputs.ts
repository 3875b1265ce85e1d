import * as core from '@actions/core';
import {
  type IngestSourceOptions,
  SOURCE_ENV,
  STORAGE_PREFIX_ENV,
} from '../../../pipeline/ingestion/open-ingest-context.js';
import { DEFAULT_BACKFILL_WINDOW_MS } from '../../../pipeline/ingestion/run-backfill.js';
import {
  DEFAULT_INITIAL_WATERMARK,
  DEFAULT_LAG_MS,
  DEFAULT_OVERLAP_MS,
} from '../../../pipeline/ingestion/run-ingest.js';
import { STORAGE_CONNECTION_ENV } from '../../../pipeline/storage/resolve-storage.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';
import {
  getChoiceInput,
  getPositiveIntegerInput,
  getSecretInput,
  getWholeNumberInput,
} from '../../shared/inputs.js';
import { getDateInput, getDurationInput } from '../../shared/time-inputs.js';

/** `ingest`: one incremental run from the watermark. `backfill`: a past range in parallel windows. */
export const MODES = ['ingest', 'backfill'] as const;
export type Mode = (typeof MODES)[number];

/** Defaults shared with `opp ingest` / `opp backfill`. */
const DEFAULTS = {
  fetchConcurrency: 8,
  writeConcurrency: 8,
  pageSize: 1000,
  requestTimeoutMs: 30_000,
  sampleRecords: 10_000,
  sampleSeed: 1,
  backfillConcurrency: 4,
  checkpointPages: 100,
} as const;

/** The ingest action's inputs, parsed and checked (see action.yml). */
export interface IngestInputs {
  mode: Mode;
  from?: Date;
  to?: Date;
  concurrency: number;
  windowMs: number;
  overlapMs: number;
  lagMs: number;
  since: Date;
  leaseWaitMs: number;
  checkpointPages: number;
  spec: string;
  sampleRecords: number;
  sampleSeed: number;
  /** The environment the library reads the source and storage from (secrets included). */
  env: NodeJS.ProcessEnv;
}

/** Reads every input once, at the edge; secrets are masked as they are read. @throws TypeError naming the input. */
export function readInputs(): IngestInputs {
  const mode = getChoiceInput('mode', MODES, 'ingest');
  const env: NodeJS.ProcessEnv = { ...process.env };
  const setEnv = (name: string, value: string) => {
    if (value !== '') env[name] = value;
  };
  setEnv(STORAGE_CONNECTION_ENV, getSecretInput('storage-connection-string'));
  setEnv(STORAGE_PREFIX_ENV, core.getInput('storage-prefix'));
  setEnv(SOURCE_ENV.indexEndpoint, core.getInput('index-endpoint'));
  setEnv(SOURCE_ENV.indexName, core.getInput('index-name'));
  setEnv(SOURCE_ENV.indexApiKey, getSecretInput('index-api-key'));
  setEnv(SOURCE_ENV.recordApiUrl, core.getInput('record-api-url'));
  setEnv(SOURCE_ENV.recordApiKey, getSecretInput('record-api-key'));
  const from = getDateInput('from', { required: mode === 'backfill' });
  const to = getDateInput('to', { required: mode === 'backfill' });
  if (from && to && from >= to) throw new TypeError(`Inputs from/to: "from" must be before "to"`);
  return {
    mode,
    from,
    to,
    concurrency: getPositiveIntegerInput('concurrency') ?? DEFAULTS.backfillConcurrency,
    windowMs: getDurationInput('window') ?? DEFAULT_BACKFILL_WINDOW_MS,
    overlapMs: getDurationInput('overlap') ?? DEFAULT_OVERLAP_MS,
    lagMs: getDurationInput('lag') ?? DEFAULT_LAG_MS,
    since: getDateInput('since') ?? DEFAULT_INITIAL_WATERMARK,
    leaseWaitMs: getDurationInput('lease-wait') ?? 0,
    checkpointPages: getPositiveIntegerInput('checkpoint-pages') ?? DEFAULTS.checkpointPages,
    spec: core.getInput('spec') || defaultConfigPath('features.json'),
    sampleRecords: getWholeNumberInput('sample-records') ?? DEFAULTS.sampleRecords,
    sampleSeed: getWholeNumberInput('sample-seed') ?? DEFAULTS.sampleSeed,
    env,
  };
}

/** The source options `openIngestContext` takes, from the inputs. */
export function sourceOptions(inputs: IngestInputs): IngestSourceOptions {
  return {
    spec: inputs.spec,
    fetchConcurrency: DEFAULTS.fetchConcurrency,
    writeConcurrency: DEFAULTS.writeConcurrency,
    pageSize: DEFAULTS.pageSize,
    requestTimeout: DEFAULTS.requestTimeoutMs,
    sampleRecords: inputs.sampleRecords,
    sampleSeed: inputs.sampleSeed,
  };
}
