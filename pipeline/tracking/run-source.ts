import { TrackingError } from '../errors/TrackingError.js';
import {
  azureTokenProvider,
  resolveTrackingTarget,
  TRACKING_ENV,
  type TrackingTarget,
} from './create-tracker.js';
import { MlflowRestClient } from './MlflowRestClient.js';
import { findFileStoreRun, listFileStoreRuns } from './read-file-store.js';
import { redactUri } from './redact-uri.js';
import type { RunRecord } from './run-record.js';

/** Reads runs back from wherever {@link resolveTrackingTarget} says they go. */
export interface RunSource {
  readonly destination: string;
  /** Runs of the experiment, newest first, at most `limit`. */
  listRuns(experimentName: string, limit: number): Promise<RunRecord[]>;
  /** One run by id (a unique prefix is enough in the local store). */
  getRun(runId: string): Promise<RunRecord>;
}

/** A run source for the environment's tracking target (the local store by default). */
export function createRunSource(env: Record<string, string | undefined> = process.env): RunSource {
  const target: TrackingTarget = resolveTrackingTarget(env);
  if (target.kind === 'file') {
    const root = target.root;
    return {
      destination: root,
      listRuns: async (experiment, limit) => (await listFileStoreRuns(root, experiment)).slice(0, limit),
      async getRun(runId) {
        const run = await findFileStoreRun(root, runId);
        if (!run) throw new TrackingError(`no run ${runId} under ${root}`, 'RESOURCE_DOES_NOT_EXIST');
        return run;
      },
    };
  }
  const token = env[TRACKING_ENV.token];
  const client = new MlflowRestClient(target.url, {
    tokenProvider: token ? async () => token : target.azure ? azureTokenProvider() : undefined,
  });
  return {
    destination: redactUri(client.baseUrl),
    async listRuns(experiment, limit) {
      const found = await client.getExperimentByName(experiment);
      if (!found) return [];
      const runs: RunRecord[] = [];
      for await (const run of client.searchRuns([found.experimentId], { orderBy: ['start_time DESC'] })) {
        runs.push(run);
        if (runs.length >= limit) break;
      }
      return runs;
    },
    getRun: (runId) => client.getRun(runId),
  };
}
