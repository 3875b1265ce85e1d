import { escapeMarkdown, inlineCode } from '../markdown-escape.js';

/** Formatting helpers shared by the Markdown renderers. */

/** `0.75123` → `0.751`. */
export function num(value: number, digits = 3): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/**
 * A signed difference: `+0.012`, `−0.004` (with a real minus sign); a difference that rounds
 * to zero is a plain `0.000` (no `±`, which would read like a spread).
 */
export function signed(value: number, digits = 3): string {
  const text = Math.abs(value).toFixed(digits);
  if (Number(text) === 0) return text;
  return `${value > 0 ? '+' : '−'}${text}`;
}

/** `0.1304` → `13.0%`. */
export function percent(part: number, whole: number): string {
  return whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)}%`;
}

/** The first 7 characters of a commit or hash, in code style (escaped text if not a plain token); `n/a` when unknown. */
export function short(hash: string | undefined, length = 7): string {
  return hash ? inlineCode(hash.slice(0, length)) : 'n/a';
}

/** Text from data, escaped for Markdown (safe in a table cell: `|` and line breaks too). */
export function cell(text: string): string {
  return escapeMarkdown(text);
}

/** A Markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}
