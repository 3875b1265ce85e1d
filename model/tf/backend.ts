import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../pipeline/errors/ConfigError.js';

import { BACKEND_ENV } from './backend-env.js';

export { BACKEND_ENV };

/** Backends opp can train on. `auto`: node-gpu, then node, then wasm. */
export const BackendNames = ['auto', 'wasm', 'cpu', 'node', 'node-gpu'] as const;
export type BackendName = (typeof BackendNames)[number];

/** tfjs backend names of each choice (tfjs-node and -node-gpu both register `tensorflow`). */
const TF_NAME: Record<Exclude<BackendName, 'auto'>, string> = {
  wasm: 'wasm',
  cpu: 'cpu',
  node: 'tensorflow',
  'node-gpu': 'tensorflow',
};

/** Native packages, not dependencies: they install only where libtensorflow can be downloaded. */
const NATIVE_PACKAGE = { node: '@tensorflow/tfjs-node', 'node-gpu': '@tensorflow/tfjs-node-gpu' } as const;

let active: Exclude<BackendName, 'auto'> | undefined;

/** Parses a backend name from a CLI option, config or the environment. */
export function parseBackendName(value: string, source = BACKEND_ENV): BackendName {
  const name = value.trim().toLowerCase();
  if ((BackendNames as readonly string[]).includes(name)) return name as BackendName;
  throw new ConfigError(`${source}: unknown backend "${value}" (expected ${BackendNames.join(', ')})`);
}

/**
 * The requested backend: the CLI option if given, else `$OPP_BACKEND`, else the config's
 * `training.backend`, else `auto`.
 */
export function requestedBackend(option?: string, configured: BackendName = 'auto'): BackendName {
  if (option) return parseBackendName(option, '--backend');
  const env = process.env[BACKEND_ENV];
  return env ? parseBackendName(env) : configured;
}

/**
 * Makes `requested` the active tfjs backend and returns what it became. `auto` tries the
 * native packages (imported dynamically, so opp installs and runs without them) and falls
 * back to WASM; asking for a native backend that is not installed is an error.
 *
 * @param options.announce - called once with one line naming the backend in use.
 * @throws ConfigError when an explicitly requested backend cannot be loaded.
 */
export async function useBackend(
  requested: BackendName = 'auto',
  options: { announce?: (line: string) => void } = {},
): Promise<Exclude<BackendName, 'auto'>> {
  const chosen = requested === 'auto' ? await firstAvailable() : await load(requested, true);
  // The cpu backend warns about tfjs-node on first use; PROD mode silences it, so machine-read
  // output stays clean. PROD only skips debug checks.
  tf.enableProdMode();
  if (!(await tf.setBackend(TF_NAME[chosen]))) {
    throw new ConfigError(`backend "${chosen}" failed to initialise`);
  }
  await tf.ready();
  if (active !== chosen) options.announce?.(`opp: tfjs backend ${chosen} (${describe(chosen)})`);
  active = chosen;
  return chosen;
}

/** The backend {@link useBackend} last made active, if any. */
export function activeBackend(): Exclude<BackendName, 'auto'> | undefined {
  return active;
}

async function firstAvailable(): Promise<Exclude<BackendName, 'auto'>> {
  for (const name of ['node-gpu', 'node'] as const) if ((await load(name, false)) === name) return name;
  return load('wasm', true);
}

async function load(
  name: Exclude<BackendName, 'auto'>,
  required: boolean,
): Promise<Exclude<BackendName, 'auto'>> {
  if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    return name;
  }
  if (name === 'cpu') return name;
  try {
    // A variable specifier keeps bundlers and tsc from resolving a package that may be absent.
    const specifier: string = NATIVE_PACKAGE[name];
    await import(specifier);
    return name;
  } catch (error) {
    if (!required) return 'wasm';
    throw new ConfigError(
      `backend "${name}" needs ${NATIVE_PACKAGE[name]}, which is not installed or failed to load ` +
        `(${(error as Error).message.split('\n')[0]}); use --backend wasm or auto`,
      undefined,
      { cause: error },
    );
  }
}

function describe(name: Exclude<BackendName, 'auto'>): string {
  switch (name) {
    case 'wasm':
      return `@tensorflow/tfjs-backend-wasm, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'on' : 'off'}`;
    case 'cpu':
      return 'plain JavaScript, slow';
    default:
      return NATIVE_PACKAGE[name];
  }
}
