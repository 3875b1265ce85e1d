/**
 * What an Azure ML managed online deployment of the opp serving container relies on: the
 * port and routes its environment's `inference_config` declares
 * (pipeline/azureml/environment/serve-environment.yml), which the container's entry point
 * (serve.sh) and `opp serve` must answer. Tests hold the YAML, serve.sh, the Dockerfiles and
 * the scoring server to these values.
 */

/** The port the container listens on (inference_config's liveness/readiness/scoring port). */
export const AZUREML_SERVING_PORT = 5001;

/** Environment variable that overrides {@link AZUREML_SERVING_PORT} in serve.sh (tests, other hosts). */
export const AZUREML_SERVING_PORT_ENV = 'OPP_SERVE_PORT';

/** Routes of the inference config, each answered by the scoring server. */
export const AZUREML_ROUTES = {
  liveness: { path: '/health/live', method: 'GET' },
  readiness: { path: '/health/ready', method: 'GET' },
  scoring: { path: '/score', method: 'POST' },
} as const;
