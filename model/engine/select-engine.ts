import { ConfigError } from '../../pipeline/errors/ConfigError.js';
import { activeBackend } from '../tf/backend.js';
import type { Dataset } from '../training/dataset.js';
import {
  type FitOptions,
  type FitResult,
  fitNetwork,
  type NetworkSettings,
} from '../training/fit-network.js';
import { kernelBytes, MAX_KERNEL_BYTES } from './FusedNetwork.js';
import { fitNetworkFused, fusedLayers } from './fit-network-fused.js';
import { KERNEL_WASM_FILE, kernelAvailable } from './kernel-module.js';

/** Environment variable that picks the training engine (overridden by an explicit option). */
export const ENGINE_ENV = 'OPP_ENGINE';

/** Training engines. `auto`: fused where it supports the network (and not on a GPU backend), else tfjs. */
export const EngineNames = ['auto', 'fused', 'tfjs'] as const;
export type EngineName = (typeof EngineNames)[number];

const ACTIVATIONS = new Set(['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'linear']);
const OPTIMIZERS = new Set(['adam', 'adamw', 'sgd']);
/** The kernel describes at most this many layers (hidden + output). */
const MAX_FUSED_LAYERS = 17;

/** Parses an engine name from the environment. */
export function parseEngineName(value: string): EngineName {
  const name = value.trim().toLowerCase();
  if ((EngineNames as readonly string[]).includes(name)) return name as EngineName;
  throw new ConfigError(`${ENGINE_ENV}: unknown engine "${value}" (expected ${EngineNames.join(', ')})`);
}

/** The requested engine: `$OPP_ENGINE`, else the config's `training.engine`, else `auto`. */
export function requestedEngine(configured?: EngineName): EngineName {
  const env = process.env[ENGINE_ENV];
  if (env) return parseEngineName(env);
  return configured ?? 'auto';
}

/**
 * Why the fused engine cannot train `settings` on `features` inputs with `batchSize`-row
 * passes and the given resident rows, or undefined when it can.
 */
export function fusedUnsupportedReason(
  features: number,
  settings: NetworkSettings,
  trainRows = 0,
  validationRows = 0,
): string | undefined {
  if (settings.hidden.length === 0) return 'it needs at least one hidden layer';
  if (settings.hidden.length + 1 > MAX_FUSED_LAYERS)
    return `it runs at most ${MAX_FUSED_LAYERS - 1} hidden layers`;
  for (const h of settings.hidden) {
    if (!ACTIVATIONS.has(h.activation)) return `activation "${h.activation}" is not supported`;
    if (!(h.dropout >= 0 && h.dropout < 1)) return `dropout ${h.dropout} is out of range`;
  }
  if (!OPTIMIZERS.has(settings.optimizer)) return `optimizer "${settings.optimizer}" is not supported`;
  if (!kernelAvailable()) return `its kernel ${KERNEL_WASM_FILE} is not built (npm run build:wasm)`;
  const bytes = kernelBytes(fusedLayers(features, settings), {
    capacity: settings.batchSize,
    trainRows,
    validationRows,
  });
  if (bytes > MAX_KERNEL_BYTES) return `it would need ${bytes} bytes of WebAssembly memory`;
  return undefined;
}

/**
 * The engine that trains `settings`: `fused` or `tfjs`. `auto` takes fused when it supports
 * the network and its kernel is built, unless tfjs runs on a GPU (node-gpu backend).
 *
 * @throws ConfigError when `fused` is asked for a network it does not support.
 */
export function resolveEngine(
  requested: EngineName,
  features: number,
  settings: NetworkSettings,
  trainRows = 0,
  validationRows = 0,
): 'fused' | 'tfjs' {
  if (requested === 'tfjs') return 'tfjs';
  const reason = fusedUnsupportedReason(features, settings, trainRows, validationRows);
  if (requested === 'fused') {
    if (reason)
      throw new ConfigError(`engine "fused" cannot train this network: ${reason}; use engine tfjs or auto`);
    return 'fused';
  }
  if (activeBackend() === 'node-gpu') return 'tfjs';
  return reason ? 'tfjs' : 'fused';
}

/** {@link NetworkSettings} with the engine to train them on (absent: {@link requestedEngine}'s choice). */
export interface EngineSettings extends NetworkSettings {
  engine?: EngineName;
}

/**
 * `fitNetwork`'s contract on the engine {@link resolveEngine} picks: the drop-in for fit
 * callers (fit-task.ts). Both engines return {@link FitResult} with plain `MlpWeights`.
 */
export function fitWithEngine(
  train: Dataset,
  settings: EngineSettings,
  options: FitOptions,
): Promise<FitResult> {
  const requested = requestedEngine(settings.engine);
  const engine = resolveEngine(
    requested,
    train.features,
    settings,
    train.rows,
    options.validation?.rows ?? 0,
  );
  return engine === 'fused'
    ? fitNetworkFused(train, settings, options)
    : fitNetwork(train, settings, options);
}
