import { parse, stringify } from 'yaml';

/**
 * MLflow's file store `meta.yaml`: one flat mapping of scalars, plus `tags: []`, written with
 * the `yaml` package set to what PyYAML's `safe_dump` gives for these shapes (YAML 1.1, sorted
 * keys, `null`, single-quoted ambiguous strings such as an all-digit id), so MLflow's Python
 * reader sees strings as strings. For internal use.
 */

export type YamlScalar = string | number | null | readonly never[];
export type YamlMap = Record<string, YamlScalar>;

/** YAML 1.1 is what PyYAML resolves: `yes`, `0x1f`, `2026-11-25` must be quoted to stay strings. */
const META_YAML = { version: '1.1', sortMapEntries: true, singleQuote: true, lineWidth: 0 } as const;

/** Formats a flat mapping, keys sorted as PyYAML does. */
export function formatYaml(map: YamlMap): string {
  return stringify(map, META_YAML);
}

/**
 * Reads a flat mapping written by {@link formatYaml} or by PyYAML.
 *
 * @throws Error when the text is not a mapping of scalars (and `[]`).
 */
export function parseYaml(text: string): YamlMap {
  const value: unknown = parse(text, { version: '1.1' });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`not a meta.yaml mapping: ${JSON.stringify(text.slice(0, 80))}`);
  }
  for (const [key, entry] of Object.entries(value)) {
    const scalar = entry === null || typeof entry === 'string' || typeof entry === 'number';
    if (!scalar && !(Array.isArray(entry) && entry.length === 0)) {
      throw new Error(`meta.yaml: ${JSON.stringify(key.slice(0, 80))} is not a plain value`);
    }
  }
  return value as YamlMap;
}
