/**
 * Environment variables a deployment's server gets from the process that starts it: what runs
 * Node and the `OPP_*` settings `opp serve` reads (home, tfjs backend and engine, scoring keys).
 * Nothing else: no `AZURE_*` credentials, storage connection strings or record API keys.
 */
export const SERVER_ENV_ALLOW_LIST: readonly string[] = [
  'PATH',
  'HOME',
  'TMPDIR',
  'TZ',
  'LANG',
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
  'OPP_HOME',
  'OPP_BACKEND',
  'OPP_ENGINE',
  'OPP_SCORING_KEYS',
];

/**
 * The environment of a deployment's server: only {@link SERVER_ENV_ALLOW_LIST} from `env`.
 * @param env - the starting process's environment. Default `process.env`.
 */
export function serverEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const name of SERVER_ENV_ALLOW_LIST) if (env[name] !== undefined) out[name] = env[name];
  return out;
}
