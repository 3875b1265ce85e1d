import { RegistryError } from '../errors/RegistryError.js';
import type { PagedAsyncIterable } from './paging.js';

/** Lifecycle stage of a model version. At most one version per model name is `production`. */
export type ModelStage = 'candidate' | 'production' | 'archived';

/** The stages, in the order a version usually passes through them. */
export const MODEL_STAGES: readonly ModelStage[] = ['candidate', 'production', 'archived'];

/**
 * Where a model version came from. Passed in by the caller (training writes these into the
 * bundle; the registry does not read the bundle's internals except `metrics.json`).
 */
export interface ModelLineage {
  /** Data snapshot the model was trained on. */
  snapshotId?: string;
  /** Git commit of the code that trained it. */
  gitSha?: string;
  /** Hash of the training config. */
  configHash?: string;
  /** Hash of the feature spec. */
  specHash?: string;
  /** Headline metrics, e.g. `{ auc: 0.91, f1: 0.62 }` (flat, numeric). */
  metrics?: Record<string, number>;
}

/** One file of a registered bundle. */
export interface BundleFile {
  /** Path inside the bundle, `/`-separated. */
  path: string;
  /** Lower-case hex SHA-256 of the content. */
  sha256: string;
  size: number;
}

/** A registered model version, as every registry implementation reports it. */
export interface ModelVersion {
  name: string;
  /** Decimal version number as a string ("1", "2", ...), assigned by the registry. */
  version: string;
  stage: ModelStage;
  /** Free-form string tags given at registration (lineage and stage are kept apart). */
  tags: Record<string, string>;
  lineage: ModelLineage;
  /** ISO time of registration. */
  createdAt: string;
  files: BundleFile[];
  /** Where the bundle lives: a local folder or an `azureml://` URI. */
  uri: string;
}

/** Options of {@link ModelRegistry.registerVersion}. */
export interface RegisterVersionOptions {
  /** Free-form tags. Default: none. */
  tags?: Record<string, string>;
  /** Initial stage. Default `candidate`; `production` demotes the current production version. */
  stage?: ModelStage;
  abortSignal?: AbortSignal;
}

/** Options of {@link ModelRegistry.listVersions}. */
export interface ListVersionsOptions {
  /** Only versions in this stage. Default: all. */
  stage?: ModelStage;
}

/**
 * A model registry: versions of named model bundles with stage, tags and lineage.
 * Implementations: {@link LocalModelRegistry} (`$OPP_HOME/registry/`) and
 * {@link AzureMlModelRegistry} (Azure ML model versions + the workspace's default datastore).
 */
export interface ModelRegistry {
  /** `local` or `azureml`. */
  readonly kind: string;
  /**
   * Copies the bundle folder into the registry as the next version of `name`.
   * @param bundleDir - a bundle folder; must contain `metrics.json`.
   * @returns the new version (numbers never collide, also under concurrent registrations).
   * @throws RegistryError when the folder is missing or has no `metrics.json`.
   * @throws NonFiniteModelError when a bundle in it has a NaN or ±Infinity weight or scores a
   *   probe batch to one (`assertFiniteModelsIn`); nothing is stored then.
   */
  registerVersion(
    name: string,
    bundleDir: string,
    lineage: ModelLineage,
    options?: RegisterVersionOptions,
  ): Promise<ModelVersion>;
  /** @throws RegistryError when the version does not exist. */
  getVersion(name: string, version: string): Promise<ModelVersion>;
  /** Versions of `name`, oldest first, in pages. An unknown name yields nothing. */
  listVersions(name: string, options?: ListVersionsOptions): PagedAsyncIterable<ModelVersion>;
  /**
   * Moves a version to `stage`. Setting `production` archives the previous production version,
   * so there is at most one production version per name.
   */
  setStage(name: string, version: string, stage: ModelStage): Promise<ModelVersion>;
  /** The production version of `name`, or `undefined` when there is none. */
  getProduction(name: string): Promise<ModelVersion | undefined>;
  /**
   * Writes the bundle's files into `dir` (created if needed) and checks their hashes.
   * @returns `dir`.
   */
  downloadVersion(name: string, version: string, dir: string): Promise<string>;
}

/** Model names: what Azure ML accepts and what is safe as a folder name. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

/** Tag keys opp writes itself start with this; a user's tag may not (it could shadow one). */
export const RESERVED_TAG_PREFIX = 'opp.';

/**
 * Refuses a name {@link MODEL_NAME_PATTERN} does not allow (it becomes a folder and a URL part).
 *
 * @throws RegistryError naming the rule.
 */
export function checkModelName(name: string): void {
  if (!MODEL_NAME_PATTERN.test(name)) {
    throw new RegistryError(
      `bad model name "${name.slice(0, 300)}": use up to 255 letters, digits, '-', '_' and '.', starting with a letter or digit`,
      name,
    );
  }
}

/**
 * What every registry checks before it registers: the name, and no user tag under the
 * reserved `opp.` prefix.
 *
 * @throws RegistryError naming what is wrong.
 */
export function checkRegistration(name: string, tags: Record<string, string> = {}): void {
  checkModelName(name);
  const reserved = Object.keys(tags).filter((key) => key.startsWith(RESERVED_TAG_PREFIX));
  if (reserved.length > 0) {
    throw new RegistryError(
      `tags ${reserved.join(', ')}: the ${RESERVED_TAG_PREFIX} prefix is reserved`,
      name,
    );
  }
}

/** A model version named as `name:version`, the version a number or `production`. */
export interface ModelRef {
  name: string;
  version: string;
}

/** Parses `name:version` or `name:production`; undefined when `text` is neither. */
export function parseModelRef(text: string): ModelRef | undefined {
  const colon = text.lastIndexOf(':');
  const name = text.slice(0, colon);
  const version = text.slice(colon + 1);
  if (colon < 0 || !MODEL_NAME_PATTERN.test(name) || !/^(?:\d{1,18}|production)$/.test(version))
    return undefined;
  return { name, version };
}

/** Parses `name:version` (version a number or `production`), or throws a TypeError saying what it expected. */
export function requireModelRef(value: string): ModelRef {
  const ref = parseModelRef(value);
  if (!ref)
    throw new TypeError(`expected <name>:<version> or <name>:production, got "${value.slice(0, 300)}"`);
  return ref;
}
