import { fileURLToPath } from 'node:url';
import { ProtoContract } from './proto.js';

const contracts = fileURLToPath(new URL('../../contracts/', import.meta.url));

/**
 * The endpoints opp calls (`METHOD path below /api/2.0/mlflow/`) and their request messages,
 * as service.proto's `rpc` options declare them (the response is `<message>.Response`).
 */
export const MLFLOW_ENDPOINTS: Record<string, string> = {
  'GET experiments/get-by-name': 'GetExperimentByName',
  'POST experiments/create': 'CreateExperiment',
  'POST runs/create': 'CreateRun',
  'POST runs/update': 'UpdateRun',
  'GET runs/get': 'GetRun',
  'POST runs/search': 'SearchRuns',
  'POST runs/log-batch': 'LogBatch',
  'POST runs/set-tag': 'SetTag',
  'GET metrics/get-history': 'GetMetricHistory',
};

let cached: ProtoContract | undefined;

/** The messages of MLflow's service.proto that opp's calls use (tests/contracts/SOURCE.md). */
export function mlflowContract(): ProtoContract {
  cached ??= new ProtoContract(`${contracts}mlflow/service.extract.proto`);
  return cached;
}
