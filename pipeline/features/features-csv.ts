import type { MlRow } from './compile-spec.js';

/** Leading columns of an ML-ready table, before the features (SEED.md's ML-ready row). */
export const ML_ROW_COLUMNS = ['record_id', 'division', 'action_taken'] as const;

/** The header line of a features CSV for these feature names. */
export function featuresCsvHeader(featureNames: readonly string[]): string {
  return `${[...ML_ROW_COLUMNS, ...featureNames].join(',')}\n`;
}

/** One ML row as a CSV line (RFC 4180 quoting; numbers in shortest round-trip form). */
export function featuresCsvLine(row: MlRow): string {
  let line = `${csvField(row.recordId)},${row.division},${row.label}`;
  for (const value of row.features) line += `,${value}`;
  return `${line}\n`;
}

export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
