import { ConfigError } from '../../pipeline/errors/ConfigError.js';

/**
 * Refuses a `training.<key>` setting given per feature name that names a feature the model
 * does not have (a typo would otherwise silently leave that feature alone).
 * @throws ConfigError naming the setting, the unknown names and the model's features.
 */
export function checkFeatureNames(
  key: string,
  setting: Readonly<Record<string, unknown>>,
  featureNames: readonly string[],
): void {
  const unknown = Object.keys(setting).filter((name) => !featureNames.includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(
      `training.${key} names ${unknown.map((n) => `"${n}"`).join(', ')}, not among the features (${featureNames.join(', ')})`,
    );
  }
}

/** A per-feature setting as one value per column, `otherwise` for features it leaves out. */
export function perFeature<T>(
  key: string,
  setting: Readonly<Record<string, T>>,
  featureNames: readonly string[],
  otherwise: T,
): T[] {
  checkFeatureNames(key, setting, featureNames);
  return featureNames.map((name) => setting[name] ?? otherwise);
}
