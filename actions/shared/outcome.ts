import * as core from '@actions/core';
import { escapeMarkdown } from '../../pipeline/reports/markdown-escape.js';

/** The runner's job summary file; absent in some local runs. */
const SUMMARY_ENV = 'GITHUB_STEP_SUMMARY';

/** Appends Markdown to the job summary, or says why it was skipped (not on a runner). */
export async function writeSummary(markdown: string): Promise<void> {
  if (process.env[SUMMARY_ENV]) await core.summary.addRaw(markdown).write();
  else core.info(`${SUMMARY_ENV} is not set (not on a runner?): job summary skipped`);
}

/** The one `core.setFailed` of an action: the error's message, then its causes, on one line each. */
export function failWith(error: unknown): void {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < MAX_CAUSES; depth++) {
    lines.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  core.setFailed(lines.join('\n  caused by: '));
}

/** How many links of an error's `cause` chain the failure message shows. */
const MAX_CAUSES = 4;

/** A value as Markdown text (escaped: safe in a table cell, no markup, mention or link of its own). */
export function cell(value: unknown): string {
  return escapeMarkdown(String(value));
}

/** A two-column Markdown table. */
export function keyValueTable(rows: [string, unknown][]): string {
  return ['| | |', '| --- | --- |', ...rows.map(([k, v]) => `| ${cell(k)} | ${cell(v)} |`)].join('\n');
}
