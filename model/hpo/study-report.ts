import type { ParamValue, SearchSpace } from './distributions.js';
import { countStates, type StudyDirection, type TrialRecord, toLoss } from './trial.js';

/** How much one parameter matters, by {@link parameterImportance}'s method. */
export interface ParamImportance {
  readonly param: string;
  /** Share of the objective's rank variance the parameter explains, in [0, 1]. */
  readonly importance: number;
  /** Complete trials in which the parameter existed. */
  readonly trials: number;
}

/** A study's summary: what the CLI prints and writes. */
export interface StudyReport {
  readonly direction: StudyDirection;
  readonly trials: number;
  readonly complete: number;
  readonly pruned: number;
  readonly failed: number;
  /** The best complete trials, best first. */
  readonly best: readonly TrialRecord[];
  /** Parameters, most important first. */
  readonly importance: readonly ParamImportance[];
}

/** Options of {@link summarizeStudy}. */
export interface SummarizeStudyOptions {
  /** How many best trials to list. @default 5 */
  top?: number;
}

/** Summarises a study: counts by state, the best trials, parameter importance. */
export function summarizeStudy(
  trials: readonly TrialRecord[],
  space: SearchSpace,
  direction: StudyDirection,
  options: SummarizeStudyOptions = {},
): StudyReport {
  const complete = trials.filter((t) => t.state === 'complete' && t.value !== undefined);
  const best = [...complete]
    .sort((a, b) => toLoss(a.value!, direction) - toLoss(b.value!, direction) || a.number - b.number)
    .slice(0, options.top ?? 5);
  return {
    direction,
    trials: trials.length,
    ...countStates(trials),
    best,
    importance: parameterImportance(complete, space),
  };
}

/** Fewest complete trials with a parameter before its importance is estimated. */
const MIN_TRIALS_FOR_IMPORTANCE = 3;

/**
 * Parameter importance by a rank method (stated so it can be judged): replace objective values
 * by their ranks; for a numeric parameter, importance is the squared Spearman correlation
 * between its values and those ranks; for a categorical one, the correlation ratio η² (the
 * share of rank variance between its choices). Both are the share of rank variance the
 * parameter explains alone, in [0, 1]; interactions are ignored (unlike fANOVA, Hutter et al.
 * 2014). Conditional parameters use only the trials in which they existed.
 */
export function parameterImportance(complete: readonly TrialRecord[], space: SearchSpace): ParamImportance[] {
  const out: ParamImportance[] = [];
  for (const spec of space.params) {
    const having = complete.filter((t) => t.params[spec.name] !== undefined && t.value !== undefined);
    if (having.length < MIN_TRIALS_FOR_IMPORTANCE) {
      out.push({ param: spec.name, importance: 0, trials: having.length });
      continue;
    }
    const valueRanks = ranks(having.map((t) => t.value!));
    const values = having.map((t) => t.params[spec.name]!);
    const importance =
      spec.distribution.type === 'categorical'
        ? correlationRatio(values, valueRanks)
        : pearson(ranks(values as number[]), valueRanks) ** 2;
    out.push({
      param: spec.name,
      importance: Number.isFinite(importance) ? importance : 0,
      trials: having.length,
    });
  }
  return out.sort((a, b) => b.importance - a.importance);
}

/** Ranks from 1, ties sharing their mean rank. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[i]!]) j++;
    for (let k = i; k <= j; k++) out[order[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

function correlationRatio(groups: readonly ParamValue[], y: readonly number[]): number {
  const mean = y.reduce((s, v) => s + v, 0) / y.length;
  const byGroup = new Map<ParamValue, number[]>();
  groups.forEach((g, i) => {
    const list = byGroup.get(g);
    if (list) list.push(y[i]!);
    else byGroup.set(g, [y[i]!]);
  });
  let between = 0;
  for (const list of byGroup.values()) {
    const m = list.reduce((s, v) => s + v, 0) / list.length;
    between += list.length * (m - mean) ** 2;
  }
  const total = y.reduce((s, v) => s + (v - mean) ** 2, 0);
  return total === 0 ? 0 : between / total;
}

/** The report as text: counts, the best trials with their parameters, importance. */
export function formatStudyReport(report: StudyReport): string {
  const lines = [
    `${report.trials} trials: ${report.complete} complete, ${report.pruned} pruned, ${report.failed} failed (${report.direction})`,
    'Best trials:',
  ];
  for (const t of report.best) {
    const params = Object.entries(t.params)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`)
      .join(' ');
    lines.push(`  #${t.number}  ${t.value!.toPrecision(6)}  ${params}`);
  }
  lines.push('Parameter importance (share of objective-rank variance explained; Spearman ρ² / η²):');
  for (const p of report.importance)
    lines.push(`  ${p.param.padEnd(16)} ${p.importance.toFixed(3)}  (${p.trials} trials)`);
  return lines.join('\n');
}
