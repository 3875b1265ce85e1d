/**
 * npm run bench:gate-error-rate [-- --noop 20 --degraded 10 --records 20000 --truth 200000
 *   --workers 2 --dir /tmp/opp-gate-error-rate --reuse]
 *
 * The AUC non-regression gate's error rates on real trainings (issue #20), beside the old point
 * rule, on the same pull requests. Data as pr.yml without a snapshot: `opp sample --n 20000
 * --seed 1`, every division.
 *
 * - The base (the production model, fixed): `opp train --seed 42`, trained once.
 * - No-op PRs: the same code, config, data and hold-out rows (`--seed 42`), another fit
 *   (`--fit-seed 1001…`: CV folds, weight init, shuffling).
 * - Degraded PRs: a realistic regression, a feature (group) dropped from the feature spec, each
 *   with its own fit seed (`--fit-seed 2001…`); the dropped features keep every record valid, so
 *   the hold-out rows stay the base's (checked).
 *
 * Each candidate is compared with the base as `opp compare` does (`compareTrainingOutputs`:
 * paired bootstrap + paired DeLong on the candidate's hold-out rows) and gated by
 * `evaluateGate`: with the comparison (Holm non-inferiority) and with the base's metrics report
 * (the point rule `maxDrop.auc`), under configs/gate.json and the sample-data gate pr.yml applies
 * to sample records. Ground truth per division: both models scored on `--truth` independent
 * sample records (`opp sample --seed 2`); a division is truly degraded when its AUC there drops
 * by more than the gate's margin.
 *
 * Beside "caught", the share each gate flags "possibly worse" (a point drop beyond the margin the
 * hold-out cannot prove: what a reviewer is asked to look at) on no-op and on degraded PRs.
 *
 * With --reuse, trainings whose output is already in --dir are read back, not redone (to resume);
 * with --summarise, the figures are recomputed from the outcomes.jsonl a run left in --dir
 * (rows written before the gate had "possibly worse" are split by the gate's own rule, from
 * their hold-out Δ).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHoldout } from '../../model/bundle/holdout.js';
import { loadDivisionPredictors } from '../../model/bundle/training-output.js';
import { loadTrainingData, type TrainingTable } from '../../model/data/load-training-data.js';
import { pairedDelong } from '../../model/metrics/delong.js';
import { median } from '../../model/metrics/summary.js';
import type { MetricsReport } from '../../model/metrics-report.js';
import type { Predictor } from '../../model/Predictor.js';
import { GENERAL_DIVISION } from '../../pipeline/config/divisions-config.js';
import { type GateConfig, loadGateConfig } from '../../pipeline/config/gate-config.js';
import { evaluateGate } from '../../pipeline/gate/evaluate-gate.js';
import { type NonInferiorityDecision, unproven } from '../../pipeline/gate/non-inferiority.js';
import { compareTrainingOutputs } from '../../pipeline/reports/compare-outputs.js';
import type { ComparisonReport } from '../../pipeline/reports/comparison-report.js';
import { loadMetricsReport } from '../../pipeline/reports/load-reports.js';
import { defaultConfigPath, PACKAGE_ROOT } from '../../pipeline/util/package-root.js';
import { appendResults, machineLine, markdownTable } from './results.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const name = process.argv[i]!.replace(/^--/, '');
  const next = process.argv[i + 1];
  if (next === undefined || next.startsWith('--')) args.set(name, 'true');
  else {
    args.set(name, next);
    i++;
  }
}
const whole = (name: string, fallback: number, min: number): number => {
  const value = Number(args.get(name) ?? fallback);
  if (!Number.isInteger(value) || value < min) throw new RangeError(`--${name}: a whole number >= ${min}`);
  return value;
};
const NOOP = whole('noop', 20, 1);
const DEGRADED = whole('degraded', 10, 0);
const RECORDS = whole('records', 20_000, 1000);
const TRUTH = whole('truth', 200_000, 1000);
const WORKERS = whole('workers', 2, 1);
const DIR = args.get('dir') ?? join(tmpdir(), 'opp-gate-error-rate');
const REUSE = args.get('reuse') === 'true';
/** Only summarise the outcomes a run wrote to --dir (e.g. one cut short), training nothing. */
const SUMMARISE = args.get('summarise') === 'true';
/** pr.yml's seeds: the sample's (1) and training's (42). The truth sample uses another. */
const DATA_SEED = 1;
const TRUTH_SEED = 2;
const SPLIT_SEED = 42;
const NOOP_FIT_SEED = 1001;
const DEGRADED_FIT_SEED = 2001;
const CLI = join(PACKAGE_ROOT, 'build', 'pipeline', 'cli', 'opp.js');
const GATES = [
  { name: 'configs/gate.json', config: loadGateConfig(defaultConfigPath('gate.json')) },
  {
    name: 'sample-data gate',
    config: loadGateConfig(join(PACKAGE_ROOT, 'configs', 'examples', 'gate-sample-data.json')),
  },
];

interface FeatureSpecFile {
  features: { name?: string; field?: string }[];
  [key: string]: unknown;
}
/** Regressions a PR could plausibly make: a feature (group) dropped from the spec. */
const REGRESSIONS: { name: string; drops: (f: FeatureSpecFile['features'][number]) => boolean }[] = [
  { name: 'without segment (6 one-hot columns)', drops: (f) => f.field === 'segment' },
  {
    name: 'without historical_vip and its rating',
    drops: (f) => f.name === 'historical_vip' || f.name === 'historical_vip_rating',
  },
  { name: 'without key_customer_vip', drops: (f) => f.name === 'key_customer_vip' },
];

mkdirSync(DIR, { recursive: true });
const opp = (...cliArgs: string[]) =>
  execFileSync(process.execPath, [CLI, ...cliArgs], { stdio: ['ignore', 'ignore', 'inherit'] });
const dataFile = join(DIR, `records-${RECORDS}-seed${DATA_SEED}.jsonl`);
const truthFile = join(DIR, `records-${TRUTH}-seed${TRUTH_SEED}.jsonl`);
if (!SUMMARISE && !(REUSE && existsSync(dataFile)))
  opp('sample', '--n', String(RECORDS), '--seed', String(DATA_SEED), '--out', dataFile);
if (!SUMMARISE && !(REUSE && existsSync(truthFile)))
  opp('sample', '--n', String(TRUTH), '--seed', String(TRUTH_SEED), '--out', truthFile);

const specPaths = REGRESSIONS.map((r, i) => {
  const spec = JSON.parse(readFileSync(defaultConfigPath('features.json'), 'utf8')) as FeatureSpecFile;
  const path = join(DIR, `spec-regression-${i}.json`);
  writeFileSync(path, JSON.stringify({ ...spec, features: spec.features.filter((f) => !r.drops(f)) }));
  return path;
});

const trainSeconds: number[] = [];
function train(out: string, fitSeed: number | undefined, spec?: string): string {
  const dir = join(DIR, out);
  if (REUSE && existsSync(join(dir, 'metrics.json')) && existsSync(join(dir, 'holdout.json'))) return dir;
  const started = performance.now();
  opp(
    'train',
    '--data',
    dataFile,
    '--out',
    dir,
    '--seed',
    String(SPLIT_SEED),
    ...(fitSeed === undefined ? [] : ['--fit-seed', String(fitSeed)]),
    ...(spec ? ['--spec', spec] : []),
    '--workers',
    String(WORKERS),
    '--json',
  );
  trainSeconds.push((performance.now() - started) / 1000);
  console.error(`trained ${out} in ${trainSeconds.at(-1)!.toFixed(0)} s`);
  return dir;
}

/** The truth sample through each feature spec (loaded once per spec) and the base's scores. */
const truthTables = new Map<string, Promise<TrainingTable>>();
function truthTable(predictor: Predictor): Promise<TrainingTable> {
  let table = truthTables.get(predictor.spec.hash);
  if (!table) {
    table = loadTrainingData(truthFile, predictor.spec);
    truthTables.set(predictor.spec.hash, table);
  }
  return table;
}

interface Scored {
  labels: Uint8Array;
  scores: Float64Array;
}
/** A model set's scores on the truth rows of each division, by the model serving it. */
async function scoreTruth(dir: string, divisions: readonly number[]): Promise<Map<number, Scored>> {
  const predictors = await loadDivisionPredictors(dir);
  const scored = new Map<number, Scored>();
  for (const division of divisions) {
    const predictor = predictors.get(division) ?? predictors.get(GENERAL_DIVISION)!;
    const table = await truthTable(predictor);
    const d = table.featureNames.length;
    const rows: number[] = [];
    for (let i = 0; i < table.rows; i++)
      if (division === GENERAL_DIVISION || table.division[i] === division) rows.push(i);
    const x = new Float32Array(rows.length * d);
    rows.forEach((row, i) => {
      x.set(table.x.subarray(row * d, row * d + d), i * d);
    });
    scored.set(division, {
      labels: Uint8Array.from(rows, (r) => table.labels[r]!),
      scores: predictor.probabilities(x, rows.length),
    });
  }
  return scored;
}

interface Outcome {
  pr: string;
  kind: 'no-op' | 'degraded';
  regression?: string;
  fitSeed: number;
  division: number;
  /** ΔAUC on the hold-out rows (what the gate sees) and on the truth sample (what is). */
  holdoutDelta: number;
  trueDelta: number;
  trueSe: number;
  /** Per gate config: the non-inferiority test and whether the point rule failed. */
  gates: GateOutcome[];
}

interface GateOutcome {
  decision: NonInferiorityDecision;
  /** The gate's Δ (paired DeLong's estimate; absent in rows written before it was recorded). */
  estimate?: number;
  /** The hold-out's standard error of ΔAUC and the smallest change it detects (power 0.8). */
  se: number;
  minimumDetectable: number;
  pointFailed: boolean;
}

const base = SUMMARISE ? join(DIR, 'base') : train('base', undefined);
const baseReport = loadMetricsReport(join(base, 'metrics.json'));
const gated = baseReport.models.filter((m) => m.status === 'trained' && m.test).map((m) => m.division);
const rowsFile = join(DIR, 'outcomes.jsonl');
const outcomes: Outcome[] = SUMMARISE
  ? readFileSync(rowsFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Outcome)
  : await measure();

/** Trains, compares and gates every PR, and scores it on the truth sample. */
async function measure(): Promise<Outcome[]> {
  const baseHoldout = await readHoldout(base);
  const baseTruth = await scoreTruth(base, gated);

  // No-op and degraded PRs in turn, so a run cut short still holds some of each.
  const prs: { pr: string; kind: Outcome['kind']; fitSeed: number; regression?: number }[] = Array.from(
    { length: Math.max(NOOP, DEGRADED) },
    (_, i) => [
      ...(i < NOOP ? [{ pr: `noop-${i + 1}`, kind: 'no-op' as const, fitSeed: NOOP_FIT_SEED + i }] : []),
      ...(i < DEGRADED
        ? [
            {
              pr: `degraded-${i + 1}`,
              kind: 'degraded' as const,
              fitSeed: DEGRADED_FIT_SEED + i,
              regression: i % REGRESSIONS.length,
            },
          ]
        : []),
    ],
  ).flat();

  const outcomes: Outcome[] = [];
  writeFileSync(rowsFile, '');
  for (const pr of prs) {
    const dir = train(pr.pr, pr.fitSeed, pr.regression === undefined ? undefined : specPaths[pr.regression]);
    const holdout = await readHoldout(dir);
    if (holdout.id !== baseHoldout.id) throw new Error(`${pr.pr}: its hold-out rows are not the base's`);
    const { report: comparison, skipped } = await compareTrainingOutputs(dir, base, dataFile, {
      source: 'base-commit',
    });
    if (skipped.length > 0) throw new Error(`${pr.pr}: divisions skipped: ${JSON.stringify(skipped)}`);
    const report = loadMetricsReport(join(dir, 'metrics.json'));
    const judged = GATES.map(({ config }) => judge(report, config, comparison));
    const truth = await scoreTruth(dir, gated);
    for (const division of gated) {
      const t = truth.get(division)!;
      const b = baseTruth.get(division)!;
      const delong = pairedDelong(t.labels, t.scores, b.scores);
      const entry = comparison.divisions.find((d) => d.division === division)!;
      const outcome: Outcome = {
        pr: pr.pr,
        kind: pr.kind,
        ...(pr.regression === undefined ? {} : { regression: REGRESSIONS[pr.regression]!.name }),
        fitSeed: pr.fitSeed,
        division,
        holdoutDelta: entry.deltas.auc,
        trueDelta: delong.difference,
        trueSe: delong.se,
        gates: judged.map((j) => j.get(division)!),
      };
      outcomes.push(outcome);
      writeFileSync(rowsFile, `${JSON.stringify(outcome)}\n`, { flag: 'a' });
    }
    console.error(
      `${pr.pr}: ${gated
        .map((d) => {
          const o = outcomes.find((x) => x.pr === pr.pr && x.division === d)!;
          return `${d}:${signed(o.holdoutDelta)}/${signed(o.trueDelta)} ${o.gates[0]!.decision[0]}${o.gates[0]!.pointFailed ? 'P' : ''}`;
        })
        .join(' ')}`,
    );
  }
  return outcomes;
}

/** The gate's two AUC non-regression rules on one candidate, per division. */
function judge(
  report: MetricsReport,
  config: GateConfig,
  comparison: ComparisonReport,
): Map<number, GateOutcome> {
  const statistical = evaluateGate(report, config, { comparison });
  const point = evaluateGate(report, config, { production: baseReport });
  return new Map(
    gated.map((division) => {
      const ni = statistical.divisions
        .find((d) => d.division === division)!
        .checks.find((c) => c.kind === 'nonInferiority')!.nonInferiority!;
      const drop = point.divisions
        .find((d) => d.division === division)!
        .checks.find((c) => c.kind === 'maxDrop' && c.metric === 'auc');
      if (!drop) throw new Error(`division ${division}: no point-rule check (production on other rows?)`);
      return [
        division,
        {
          decision: ni.decision,
          estimate: ni.estimate,
          se: ni.se,
          minimumDetectable: ni.minimumDetectable,
          pointFailed: !drop.passed,
        },
      ];
    }),
  );
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;
}
const share = (k: number, n: number) => (n === 0 ? '—' : `${((100 * k) / n).toFixed(1)}% (${k}/${n})`);

const sections: string[] = [];
const noop = outcomes.filter((o) => o.kind === 'no-op');
const degraded = outcomes.filter((o) => o.kind === 'degraded');
const noopPrs = [...new Set(noop.map((o) => o.pr))];
const degradedPrs = [...new Set(degraded.map((o) => o.pr))];
const seedRange = (list: Outcome[]) =>
  list.length === 0
    ? '—'
    : `${Math.min(...list.map((o) => o.fitSeed))}…${Math.max(...list.map((o) => o.fitSeed))}`;
GATES.forEach(({ name, config }, g) => {
  const rule = config.nonInferiority.auc;
  if (!rule) throw new Error(`${name}: no nonInferiority.auc rule`);
  const margin = rule.margin;
  const maxDrop = config.maxDrop.auc ?? Number.NaN;
  /** The decision; a row recorded before "possibly worse" existed is split by the gate's rule. */
  const decision = (o: Outcome): NonInferiorityDecision => {
    const gate = o.gates[g]!;
    return gate.decision === 'inconclusive'
      ? unproven(gate.estimate ?? o.holdoutDelta, margin)
      : gate.decision;
  };
  const worse = (o: Outcome) => decision(o) === 'worse';
  const possibly = (o: Outcome) => decision(o) === 'possibly-worse';
  const unclear = (o: Outcome) => decision(o) === 'inconclusive';
  const seen = (o: Outcome) => worse(o) || possibly(o);
  const point = (o: Outcome) => o.gates[g]!.pointFailed;
  const anyPr = (failed: (o: Outcome) => boolean) =>
    noopPrs.filter((pr) => noop.some((o) => o.pr === pr && failed(o))).length;
  const truly = (o: Outcome) => o.trueDelta < -margin;
  const degradedTrue = degraded.filter(truly);
  const degradedNot = degraded.filter((o) => !truly(o));
  const noopTrulyWorse = noop.filter(truly).length;
  const rows: string[][] = [
    [
      'no-op PR-divisions failed (goal ≤ α)',
      share(noop.filter(worse).length, noop.length),
      share(noop.filter(point).length, noop.length),
    ],
    [
      'no-op PRs with ≥ 1 failing division',
      share(anyPr(worse), noopPrs.length),
      share(anyPr(point), noopPrs.length),
    ],
    [
      'no-op PR-divisions "possibly worse" (flagged for review)',
      share(noop.filter(possibly).length, noop.length),
      'no such outcome',
    ],
    [
      'no-op PRs with ≥ 1 division "possibly worse"',
      share(anyPr(possibly), noopPrs.length),
      'no such outcome',
    ],
    [
      'no-op PR-divisions "too small to tell" (Δ within the margin)',
      share(noop.filter(unclear).length, noop.length),
      'no such outcome',
    ],
    [
      `truly degraded divisions caught (true ΔAUC < −${margin})`,
      share(degradedTrue.filter(worse).length, degradedTrue.length),
      share(degradedTrue.filter(point).length, degradedTrue.length),
    ],
    [
      'truly degraded divisions "possibly worse"',
      share(degradedTrue.filter(possibly).length, degradedTrue.length),
      'no such outcome',
    ],
    [
      'truly degraded divisions "too small to tell"',
      share(degradedTrue.filter(unclear).length, degradedTrue.length),
      'no such outcome',
    ],
    [
      'truly degraded divisions failed or "possibly worse" (before a reviewer)',
      share(degradedTrue.filter(seen).length, degradedTrue.length),
      share(degradedTrue.filter(point).length, degradedTrue.length),
    ],
    ...REGRESSIONS.map((r) => {
      const list = degradedTrue.filter((o) => o.regression === r.name);
      return [
        `… of them ${r.name}: caught / failed or "possibly worse"`,
        `${share(list.filter(worse).length, list.length)} / ${share(list.filter(seen).length, list.length)}`,
        share(list.filter(point).length, list.length),
      ];
    }),
    [
      'degraded PRs: divisions within the margin that failed',
      share(degradedNot.filter(worse).length, degradedNot.length),
      share(degradedNot.filter(point).length, degradedNot.length),
    ],
    [
      'degraded PRs: divisions within the margin "possibly worse"',
      share(degradedNot.filter(possibly).length, degradedNot.length),
      'no such outcome',
    ],
  ];
  const header = [
    'measure',
    `non-inferiority (margin ${margin}, α ${rule.alpha}, Holm over ${gated.length} divisions)`,
    `point rule (fail when ΔAUC < −${maxDrop})`,
  ];
  sections.push(
    `**${name}**: ${noopTrulyWorse} of ${noop.length} no-op PR-divisions are truly more than ${margin} worse on the truth sample.\n\n${markdownTable(header, rows)}`,
  );
});

const bySpread = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${signed(q(0.5))}, 5th-95th percentile [${signed(q(0.05))}, ${signed(q(0.95))}]`;
};
const perDivision = gated.map((division) => {
  const of = (list: Outcome[]) => list.filter((o) => o.division === division);
  const sd = (values: number[]) => {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(1, values.length - 1));
  };
  const model = baseReport.models.find((m) => m.division === division)!;
  const deg = REGRESSIONS.map((r) => {
    const list = of(degraded).filter((o) => o.regression === r.name);
    return list.length === 0 ? '—' : signed(list.reduce((a, o) => a + o.trueDelta, 0) / list.length);
  });
  return [
    `${division} ${model.name}`,
    String(model.test!.n),
    sd(of(noop).map((o) => o.holdoutDelta)).toFixed(4),
    sd(of(noop).map((o) => o.trueDelta)).toFixed(4),
    signed(Math.min(...of(noop).map((o) => o.holdoutDelta))),
    ...[noop, degraded].map((list) => {
      const mine = of(list);
      return mine.length === 0
        ? '—'
        : `${median(mine.map((o) => o.gates[0]!.se)).toFixed(4)} / ${median(mine.map((o) => o.gates[0]!.minimumDetectable)).toFixed(3)}`;
    }),
    ...deg,
  ];
});

const body = [
  `Command: \`nice npm run bench:gate-error-rate -- --noop ${NOOP} --degraded ${DEGRADED} --records ${RECORDS} --truth ${TRUTH} --workers ${WORKERS}\`${SUMMARISE ? ', summarised with `--summarise` from the PRs the run had finished' : ''} (${machineLine()}).`,
  '',
  `Real trainings (\`opp train\`, configs/production.json, ${WORKERS} workers) on \`opp sample --n ${RECORDS} --seed ${DATA_SEED}\` as pr.yml without a snapshot, all divisions. Base (the production model, fixed): \`--seed ${SPLIT_SEED}\`. ${noopPrs.length} no-op PRs: the same code, config and hold-out rows, \`--fit-seed ${seedRange(noop)}\`. ${degradedPrs.length} degraded PRs, \`--fit-seed ${seedRange(degraded)}\`, in turn ${REGRESSIONS.map((r) => r.name).join('; ')} (every record stays valid, so the hold-out rows are the base's: checked). Each candidate compared with the base as \`opp compare\` does (\`compareTrainingOutputs\`: paired bootstrap, 1,000 resamples, and paired DeLong) and gated by \`evaluateGate\` with the comparison (non-inferiority, Holm) and with the base's metrics report (the point rule, \`maxDrop.auc\`). Truth: both models on \`opp sample --n ${TRUTH} --seed ${TRUTH_SEED}\` per division (the model serving it); a division is truly degraded when its AUC there is more than the margin lower. ${gated.length} gated divisions per PR.${trainSeconds.length > 0 ? ` Training wall time per model set: ${Math.min(...trainSeconds).toFixed(0)}-${Math.max(...trainSeconds).toFixed(0)} s (${trainSeconds.length} trainings this run).` : ''}`,
  '',
  ...sections.flatMap((s) => [s, '']),
  "Per division: hold-out rows; the spread (standard deviation) of ΔAUC between no-op fits and the base, on the hold-out and on the truth sample, and the lowest no-op ΔAUC on the hold-out; the gate's standard error of ΔAUC (paired DeLong on the hold-out) and the smallest change it detects (two-sided α 0.05, power 0.8), medians over the no-op and over the degraded PRs (a candidate that ranks rows unlike the base has a larger se); the mean true ΔAUC of each regression.",
  '',
  markdownTable(
    [
      'division',
      'hold-out rows',
      'no-op sd(Δ) hold-out',
      'no-op sd(Δ) truth',
      'no-op min Δ hold-out',
      'no-op: gate se(Δ) / smallest detectable Δ',
      'degraded: gate se(Δ) / smallest detectable Δ',
      ...REGRESSIONS.map((r) => `true Δ ${r.name}`),
    ],
    perDivision,
  ),
  '',
  `No-op true ΔAUC over all PR-divisions: ${bySpread(noop.map((o) => o.trueDelta))}; truth DeLong se of ΔAUC ${Math.min(...outcomes.map((o) => o.trueSe)).toFixed(4)}-${Math.max(...outcomes.map((o) => o.trueSe)).toFixed(4)}.`,
].join('\n');
console.log(body);
await appendResults('Gate error rates on real trainings (issue #20): `npm run bench:gate-error-rate`', body);
