import type { AzureMlClient } from '../azureml/azureml-client.js';

/** Settings of {@link createScoringProbe}. */
export interface ScoringProbeOptions {
  /** Scoring calls per check. Default 5. */
  requests?: number;
  /** The JSON body of each call (a request the scoring server accepts). */
  body: unknown;
  /** Per-call timeout. Default 10 000 ms. */
  timeoutMs?: number;
}

const DEFAULT_REQUESTS = 5;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * An error-rate probe for {@link AzureMlDeploymentTarget}: sends real scoring calls to one
 * deployment (key auth, `azureml-model-deployment` header routes past the traffic split) and
 * reports the failing fraction. The key is read from the service per check and never logged.
 */
export function createScoringProbe(
  client: AzureMlClient,
  options: ScoringProbeOptions,
): (endpoint: string, deployment: string) => Promise<{ errorRate: number; detail: string }> {
  const requests = options.requests ?? DEFAULT_REQUESTS;
  return async (endpoint, deployment) => {
    const ep = await client.getEndpoint(endpoint);
    if (!ep?.scoringUri) return { errorRate: 1, detail: `endpoint ${endpoint} has no scoring URI` };
    const { primaryKey } = await client.listEndpointKeys(endpoint);
    let failures = 0;
    let last = '';
    for (let i = 0; i < requests; i++) {
      try {
        const res = await fetch(ep.scoringUri, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'azureml-model-deployment': deployment,
            ...(primaryKey ? { authorization: `Bearer ${primaryKey}` } : {}),
          },
          body: JSON.stringify(options.body),
          signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
        });
        await res.arrayBuffer();
        if (!res.ok) {
          failures++;
          last = `HTTP ${res.status}`;
        }
      } catch (error) {
        failures++;
        last = (error as Error).name;
      }
    }
    return {
      errorRate: failures / requests,
      detail: `${failures}/${requests} scoring calls to ${deployment} failed${last ? ` (last: ${last})` : ''}`,
    };
  };
}
