/**
 * Figures of `npm run bench:hpo-training`: what one study gave (best validation AUC within each
 * budget, and its best configuration's test AUC), saved as JSON lines so runs made in chunks
 * (`--seed-offset`) can be reported together (`--report FILE`), and the tables and paired tests
 * printed from them.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import type { Params } from '../../model/hpo/distributions.js';
import { median } from '../../model/metrics/summary.js';
import { signTestP, wilcoxonSignedRankP } from './paired-stats.js';

/** One budget of one study: its best complete trial and that configuration's test scores. */
export interface BudgetFigures {
  budget: number;
  /** Best validation AUC among the first `budget` trials (−∞ as null when none completed). */
  best: number | null;
  trial?: number;
  params?: Params;
  /** Test AUC of the best configuration retrained by our engine, per fit seed, and their mean. */
  tests?: number[];
  test?: number;
  /** Best validation AUC of those retrainings (mean): the trial's value on our engine. */
  refitValidation?: number;
  /** Best validation AUC of each retraining (the first fit seed is the trials' own). */
  validations?: number[];
  /** Mean of `validations` after the first: fits no trial was selected on, on either side. */
  freshValidation?: number;
  /**
   * Test AUC of the best trial's own fit on its own side's trainer (ours: our engine, the
   * first refit; Optuna: PyTorch, scored during the trial).
   */
  ownTest?: number;
}

/** What one study gave. */
export interface StudyFigures {
  sampler: string;
  seed: number;
  records: number;
  budgets: BudgetFigures[];
  ran: number;
  pruned: number;
  failed: number;
  epochsPerTrial: number;
  /** Wall seconds of the study (contended on a shared machine: not a speed figure). */
  seconds: number;
  /** Every trial: number, state (complete / pruned / fail(ed)), value, params. */
  trials?: { number: number; state: string; value: number | null; params: Params }[];
}

/** Appends one study's figures to a JSON-lines file. */
export function saveFigures(file: string, figures: StudyFigures): void {
  appendFileSync(file, `${JSON.stringify(figures)}\n`);
}

/** Reads saved figures; a later line for the same sampler, seed and records replaces an earlier one. */
export function loadFigures(files: readonly string[]): StudyFigures[] {
  const byKey = new Map<string, StudyFigures>();
  for (const file of files)
    for (const line of readFileSync(file, 'utf8').split('\n'))
      if (line.trim()) {
        const f = JSON.parse(line) as StudyFigures;
        byKey.set(`${f.sampler}/${f.seed}/${f.records}`, f);
      }
  return [...byKey.values()].sort((a, b) => a.seed - b.seed || a.sampler.localeCompare(b.sampler));
}

const fmt = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(4);
/** A difference with its sign, rounded to 4 decimals (0.0000 unsigned). */
const signed = (d: number): string => {
  const r = d.toFixed(4);
  return Number(r) === 0 ? '0.0000' : d > 0 ? `+${r}` : `−${r.slice(1)}`;
};
const fmtP = (p: number): string => (p < 0.001 ? '<0.001' : p.toFixed(3));

/**
 * Prints the summary table (over the seeds every sampler ran, where there are any), then for
 * each pair `[a, b]` that shares seeds the per-seed table and the paired tests of a against b.
 */
export function printReport(
  all: readonly StudyFigures[],
  labels: Readonly<Record<string, string>>,
  pairs: readonly (readonly [string, string])[],
): void {
  // Only the seeds every sampler ran, where there are any (a chunked run may hold a lone study).
  const has = (sampler: string, seed: number) => all.some((f) => f.sampler === sampler && f.seed === seed);
  const present = [...new Set(all.map((f) => f.sampler))];
  const shared = all.filter((f) => present.every((sampler) => has(sampler, f.seed)));
  const figures = shared.length > 0 ? shared : all;
  const order = (s: string) => (s in labels ? Object.keys(labels).indexOf(s) : Number.MAX_SAFE_INTEGER);
  const samplers = [...new Set(figures.map((f) => f.sampler))].sort((x, y) => order(x) - order(y));
  const budgets = figures[0]?.budgets.map((b) => b.budget) ?? [];
  const at = (f: StudyFigures, budget: number) => f.budgets.find((b) => b.budget === budget);
  const cols = budgets.flatMap((b) => [
    `best val @${b}`,
    `test @${b}`,
    `fresh refit val @${b}`,
    `own-trainer test @${b}`,
  ]);
  console.log(`\n| sampler | seeds | ${cols.join(' | ')} | pruned share | failed | epochs/trial |`);
  console.log(`| --- | --- | ${cols.map(() => '---').join(' | ')} | --- | --- | --- |`);
  for (const s of samplers) {
    const fs = figures.filter((f) => f.sampler === s);
    const ran = fs.reduce((n, f) => n + f.ran, 0);
    const cells = budgets.flatMap((b) => {
      const bs = fs.map((f) => at(f, b));
      const med = (pick: (x: BudgetFigures) => number | null | undefined) => {
        const v = bs.map((x) => (x ? pick(x) : undefined)).filter((x): x is number => typeof x === 'number');
        return v.length ? fmt(median(v)) : '–';
      };
      return [med((x) => x.best), med((x) => x.test), med((x) => x.freshValidation), med((x) => x.ownTest)];
    });
    console.log(
      `| ${labels[s] ?? s} | ${fs.length} | ${cells.join(' | ')} | ${(fs.reduce((n, f) => n + f.pruned, 0) / ran).toFixed(2)} | ` +
        `${fs.reduce((n, f) => n + f.failed, 0)} | ${(fs.reduce((n, f) => n + f.epochsPerTrial * f.ran, 0) / ran).toFixed(1)} |`,
    );
  }
  for (const pair of pairs) printPair(all, pair, budgets);
}

/** The per-seed table and paired tests of `a` against `b`, over the seeds both ran. */
function printPair(
  all: readonly StudyFigures[],
  [a, b]: readonly [string, string],
  budgets: readonly number[],
): void {
  const at = (f: StudyFigures, budget: number) => f.budgets.find((x) => x.budget === budget);
  const seeds = [...new Set(all.map((f) => f.seed))].filter(
    (seed) =>
      all.some((f) => f.seed === seed && f.sampler === a) &&
      all.some((f) => f.seed === seed && f.sampler === b),
  );
  if (seeds.length === 0) return;
  const of = (sampler: string, seed: number) => all.find((f) => f.sampler === sampler && f.seed === seed)!;
  const head = budgets.flatMap((bu) => [
    `${a} val @${bu}`,
    `${b} val @${bu}`,
    `${a} test @${bu}`,
    `${b} test @${bu}`,
  ]);
  console.log(
    `\nPer seed (best validation AUC; test AUC of that best configuration, our engine, mean over fit seeds):\n`,
  );
  console.log(`| seed | ${head.join(' | ')} |`);
  console.log(`| --- | ${head.map(() => '---').join(' | ')} |`);
  for (const seed of seeds) {
    const cells = budgets.flatMap((bu) => {
      const x = at(of(a, seed), bu);
      const y = at(of(b, seed), bu);
      return [fmt(x?.best), fmt(y?.best), fmt(x?.test), fmt(y?.test)];
    });
    console.log(`| ${seed} | ${cells.join(' | ')} |`);
  }
  console.log(
    `\nPaired by seed, ${a} − ${b} (${seeds.length} seeds; exact two-sided tests, ties dropped):\n`,
  );
  console.log('| budget | measure | median difference | ahead / tied / behind | sign test p | Wilcoxon p |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const bu of budgets) {
    for (const [measure, pick] of [
      ['best validation AUC', (x?: BudgetFigures) => x?.best],
      ['test AUC of best config', (x?: BudgetFigures) => x?.test],
      ['validation AUC, refit on our engine, fresh fit seeds', (x?: BudgetFigures) => x?.freshValidation],
      ["test AUC, own trainer, trial's fit", (x?: BudgetFigures) => x?.ownTest],
    ] as const) {
      const diffs = seeds
        .map((seed) => [pick(at(of(a, seed), bu)), pick(at(of(b, seed), bu))] as const)
        .filter((p): p is readonly [number, number] => typeof p[0] === 'number' && typeof p[1] === 'number')
        .map(([x, y]) => x - y);
      if (diffs.length === 0) continue;
      const up = diffs.filter((d) => d > 0).length;
      const tied = diffs.filter((d) => d === 0).length;
      console.log(
        `| @${bu} | ${measure} | ${signed(median(diffs))} | ` +
          `${up} / ${tied} / ${diffs.length - up - tied} | ${fmtP(signTestP(diffs))} | ${fmtP(wilcoxonSignedRankP(diffs))} |`,
      );
    }
  }
}
