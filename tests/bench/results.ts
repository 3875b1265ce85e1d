import { execSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../pipeline/util/package-root.js';

/** Where every benchmark writes its figures, with the command that produced them. */
export const RESULTS_FILE = join(PACKAGE_ROOT, 'tests', 'bench', 'RESULTS.md');

/** A Markdown table, columns padded as the formatter (Biome) lays them out. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${widths.map((w, i) => (cells[i] ?? '').padEnd(w)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The machine and its load, to print beside figures. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const sha = (() => {
    try {
      return execSync('git rev-parse --short HEAD', { cwd: PACKAGE_ROOT, encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  })();
  return `${new Date().toISOString().slice(0, 16)}Z, commit ${sha}, Node ${process.version}, ${cpus().length} × ${cpu}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

/**
 * Replaces the section headed `title` in RESULTS.md (or appends it), so each benchmark keeps
 * one current section.
 */
export async function appendResults(title: string, body: string): Promise<void> {
  const heading = `## ${title}`;
  const text = existsSync(RESULTS_FILE)
    ? readFileSync(RESULTS_FILE, 'utf8')
    : '# Benchmark results\n\nEach section is rewritten by the command in its heading.\n';
  const start = text.indexOf(`${heading}\n`);
  const section = `${heading}\n\n${body}\n`;
  if (start < 0) {
    writeFileSync(RESULTS_FILE, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf('\n## ', start + heading.length);
  writeFileSync(RESULTS_FILE, `${text.slice(0, start)}${section}${next < 0 ? '' : text.slice(next + 1)}`);
}
