/**
 * The few YAML shapes of MLflow's file store (`meta.yaml`): one flat mapping of scalars, plus
 * `tags: []`. Written and read by hand so opp needs no YAML dependency. Output matches what
 * PyYAML's `safe_dump` gives for these shapes (sorted keys, `null`, quoted ambiguous strings).
 * For internal use.
 */

export type YamlScalar = string | number | null | readonly never[];
export type YamlMap = Record<string, YamlScalar>;

/** Characters a plain (unquoted) scalar may use here; others are quoted. */
const SAFE_PLAIN = /^[A-Za-z0-9_./][A-Za-z0-9_./:@+ -]*$/;
/**
 * PyYAML's implicit resolvers (YAML 1.1): a plain string matching one would read back as a
 * bool, int, float, null or timestamp, so it must be quoted (e.g. a run id of only digits).
 */
const IMPLICIT = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:~|null|Null|NULL)$/,
  /^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?/,
];

function needsQuotes(text: string): boolean {
  return (
    text === '' ||
    !SAFE_PLAIN.test(text) ||
    text.endsWith(' ') ||
    text.endsWith(':') ||
    text.includes(': ') ||
    IMPLICIT.some((pattern) => pattern.test(text))
  );
}

function formatScalar(value: YamlScalar): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  const text = value as string;
  return needsQuotes(text) ? `'${text.replaceAll("'", "''")}'` : text;
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
  if (/^[-+]?(?:0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (/^[-+]?[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?$/.test(text)) return Number(text);
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
