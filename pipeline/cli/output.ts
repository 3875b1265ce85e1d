/** Where a command's result goes: one JSON document on stdout with `--json`, else text. */
export interface Output {
  json: boolean;
  /** Prints the result: `value` as JSON, or `text()` for people. */
  result(value: unknown, text: () => string): void;
  /** A line for people on stderr (progress notes), never mixed into JSON output. */
  note(line: string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, text) {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
    },
    note(line) {
      process.stderr.write(`${line}\n`);
    },
  };
}

/** Formats a count table `{rule: n}` as indented lines, largest first. */
export function formatCounts(counts: Record<string, number>, indent = '    '): string {
  return Object.entries(counts)
    .map(([rule, n]) => `${indent}${String(n).padStart(8)}  ${rule}`)
    .join('\n');
}
