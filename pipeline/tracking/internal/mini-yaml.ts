/**
 * The few YAML shapes of MLflow's file store (`meta.yaml`): one flat mapping of scalars, plus
 * `tags: []`. Written and read by hand so opp needs no YAML dependency. Output matches what
 * PyYAML's `safe_dump` gives for these shapes (sorted keys, `null`, quoted ambiguous strings).
 * For internal use.
 */

export type YamlScalar = string | number | null | readonly never[];
export type YamlMap = Record<string, YamlScalar>;

/** Plain (unquoted) strings that YAML would read back as the same string. */
const SAFE_PLAIN = /^[A-Za-z_./][A-Za-z0-9_./:@+-]*$/;
/** Plain words YAML 1.1 reads as booleans or null. */
const RESERVED = /^(y|n|yes|no|on|off|true|false|null|~)$/i;
/** Anything YAML 1.1 could read as a number (e.g. a hex run id like `1e10…` or `0x1`). */
const NUMBER_LIKE = /^[-+]?(\.?[0-9]|0x|0o|\.inf|\.nan)/i;

function formatScalar(value: YamlScalar): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  const text = value as string;
  if (text !== '' && SAFE_PLAIN.test(text) && !RESERVED.test(text) && !NUMBER_LIKE.test(text)) return text;
  return `'${text.replaceAll("'", "''")}'`;
}

/** Formats a flat mapping, keys sorted as PyYAML does. */
export function formatYaml(map: YamlMap): string {
  return `${Object.keys(map)
    .sort()
    .map((key) => `${key}: ${formatScalar(map[key]!)}`)
    .join('\n')}\n`;
}

function parseScalar(text: string): YamlScalar {
  if (text === '' || text === 'null' || text === '~') return null;
  if (text === '[]') return [];
  if (text.startsWith("'") && text.endsWith("'") && text.length >= 2)
    return text.slice(1, -1).replaceAll("''", "'");
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) return JSON.parse(text) as string;
  if (/^[-+]?[0-9]+$/.test(text)) return Number(text);
  if (/^[-+]?([0-9]*\.[0-9]+|[0-9]+\.?[0-9]*)(e[-+]?[0-9]+)?$/i.test(text)) return Number(text);
  return text;
}

/**
 * Reads a flat mapping written by {@link formatYaml} or by PyYAML (continuation lines of a
 * folded long string are joined with a space).
 *
 * @throws Error naming the line when a line is not `key: value`.
 */
export function parseYaml(text: string): YamlMap {
  const lines: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (/^\s/.test(line) && lines.length > 0) lines[lines.length - 1] += ` ${line.trim()}`;
    else lines.push(line);
  }
  const map: YamlMap = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`not a "key: value" line: ${JSON.stringify(line)}`);
    map[line.slice(0, colon).trim()] = parseScalar(line.slice(colon + 1).trim());
  }
  return map;
}
