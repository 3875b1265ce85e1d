import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, type Diagnostics } from 'recheck';
import { parseSync, Visitor } from 'rolldown/utils';
import { describe, expect, it } from 'vitest';

/**
 * Every regular expression of the shipped code, checked for super-linear backtracking (ReDoS)
 * by recheck. A pattern that a hostile input can make take quadratic or exponential time fails
 * CI with its file:line, the complexity and recheck's attack string. The sources are parsed
 * with oxc (rolldown's parser), so a `/` that divides is never taken for a pattern. recheck
 * runs its native build where npm installed it (linux-x64 and macOS), else its Java or pure
 * JavaScript build (RECHECK_BACKEND picks one).
 */

const ROOTS = ['pipeline', 'model', ...actionSources()];

interface FoundPattern {
  where: string;
  source: string;
  flags: string;
}

function actionSources(): string[] {
  return readdirSync('actions', { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join('actions', entry.name, 'src'))
    .filter((dir) => {
      try {
        return readdirSync(dir).length > 0;
      } catch {
        return false;
      }
    });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter(
      (entry) => entry.isFile() && /\.(?:ts|mts|js|mjs)$/.test(entry.name) && !/\.d\.ts$/.test(entry.name),
    )
    .filter((entry) => !entry.parentPath.split('/').includes('dist'))
    .map((entry) => join(entry.parentPath, entry.name));
}

interface Node {
  type: string;
  start: number;
  value?: unknown;
  regex?: { pattern: string; flags: string };
  quasis?: { value: { cooked: string | null } }[];
  expressions?: unknown[];
}

/** A string literal or a template without substitutions, else undefined (built at run time). */
function constantText(node: Node | undefined): string | undefined {
  if (node?.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node?.type === 'TemplateLiteral' && node.expressions?.length === 0)
    return node.quasis?.[0]?.value.cooked ?? undefined;
  return undefined;
}

/** Regex literals and `new RegExp(...)`/`RegExp(...)` calls of one file. */
function findPatterns(file: string): { patterns: FoundPattern[]; dynamic: string[] } {
  const text = readFileSync(file, 'utf8');
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const parsed = parseSync(file, text);
  if (parsed.errors.length > 0) throw new Error(`${file}: ${parsed.errors[0]!.message}`);
  const patterns: FoundPattern[] = [];
  const dynamic: string[] = [];
  const construct = (node: { callee: Node; arguments: Node[]; start: number }) => {
    if (node.callee.type !== 'Identifier' || (node.callee as { name?: string }).name !== 'RegExp') return;
    const where = `${file}:${lineOf(node.start)}`;
    const source = constantText(node.arguments[0]);
    const flags = node.arguments[1] === undefined ? '' : constantText(node.arguments[1]);
    if (source === undefined || flags === undefined) dynamic.push(where);
    else patterns.push({ where, source, flags });
  };
  new Visitor({
    Literal(node: Node) {
      if (node.regex)
        patterns.push({
          where: `${file}:${lineOf(node.start)}`,
          source: node.regex.pattern,
          flags: node.regex.flags,
        });
    },
    NewExpression: construct,
    CallExpression: construct,
  } as ConstructorParameters<typeof Visitor>[0]).visit(parsed.program);
  return { patterns, dynamic };
}

const found = ROOTS.flatMap(sourceFiles).map(findPatterns);
const patterns = found.flatMap((f) => f.patterns);

/** `RegExp` built from run-time text, reviewed by hand: each escapes what it interpolates. */
const REVIEWED_DYNAMIC: readonly string[] = [];

describe('regular expressions of pipeline/, model/ and actions/*/src', () => {
  it('finds the patterns (the scan works)', () => {
    expect(patterns.length).toBeGreaterThan(20);
    expect(patterns.some((p) => p.where.startsWith('pipeline/features/parse-value.ts'))).toBe(true);
  });

  it('builds no RegExp from run-time text that nobody reviewed', () => {
    const dynamic = found.flatMap((f) => f.dynamic).map((where) => where.replace(/:\d+$/, ''));
    expect(dynamic.filter((file) => !REVIEWED_DYNAMIC.includes(file))).toEqual([]);
  });

  it('has no pattern that backtracks super-linearly (recheck)', async () => {
    const vulnerable: string[] = [];
    for (const { where, source, flags } of patterns) {
      const result: Diagnostics = await check(source, flags, { timeout: 30_000 });
      if (result.status !== 'safe') {
        const detail =
          result.status === 'vulnerable'
            ? `${result.complexity.type}, attack ${result.attack.pattern}`
            : `unknown (${result.error.kind})`;
        vulnerable.push(`${where}: /${source}/${flags}: ${detail}`);
      }
    }
    expect(vulnerable).toEqual([]);
  });
});
