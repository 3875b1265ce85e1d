import { StudyError } from '../../pipeline/errors/StudyError.js';
import type { SearchSpace } from './distributions.js';
import type { StudyDirection, TrialRecord } from './trial.js';

/** Version of the stored study format; a study stored with another version is refused. */
export const STUDY_FORMAT = 1;

/**
 * What a study's values depend on besides its search space, as named fingerprints (e.g.
 * `opp hpo`'s data, feature spec and config hashes and seed). Kept in the study's header, so
 * every process and machine that opens a shared study checks its own against the stored one.
 */
export type StudyContext = Readonly<Record<string, string | number>>;

/** What identifies a study: a stored study is only continued with the same space and direction. */
export interface StudyHeader {
  readonly format: number;
  readonly name: string;
  readonly direction: StudyDirection;
  readonly space: SearchSpace;
  /** Absent in studies stored before contexts were recorded, and in studies opened without one. */
  readonly context?: StudyContext;
  readonly createdAt: string;
}

/**
 * Where a study keeps its trials, so that a killed study resumes without repeating finished
 * trials and several processes can share one study.
 *
 * Trial numbers: {@link StudyStorage.claimTrialNumber} must hand out each number once across
 * every process sharing the study. A single-writer store (the JSON-lines file) counts in
 * memory. A shared store claims a number atomically: the Azure Table store
 * (`AzureTableStudyStorage`) inserts a row with PartitionKey = study, RowKey = the zero-padded
 * number and state `running`; the service refuses a second insert of the same key (409 Conflict), and the loser
 * retries with the next number. The trial is then updated in place (ETag-checked) by
 * `saveTrial`. The header is a row of its own, written with insert-if-absent, so two machines
 * starting one study agree on it. (Running rows could also let samplers on other machines
 * treat those trials as running, the constant liar; `listTrials` does not expose them yet.)
 */
export interface StudyStorage {
  /**
   * Opens the study, creating it with `header` when it does not exist.
   *
   * @returns the finished trials stored so far, in number order.
   * @throws StudyError when the stored study has another format, direction or search space
   * (the message names the difference), or cannot be read.
   */
  open(header: StudyHeader): Promise<TrialRecord[]>;
  /** Reserves the next trial number: never one already used by a stored or claimed trial. */
  claimTrialNumber(): Promise<number>;
  /** Stores one finished trial; each number is saved at most once. */
  saveTrial(trial: TrialRecord): Promise<void>;
  /** Every finished trial stored so far (by any process), in number order. */
  listTrials(): Promise<TrialRecord[]>;
  /** Releases what `open` took (a lock, a connection); the study is not used afterwards. */
  close?(): Promise<void>;
}

/** A study kept in memory only: for tests, benchmarks and throw-away studies. */
export class MemoryStudyStorage implements StudyStorage {
  private header: StudyHeader | undefined;
  private readonly trials = new Map<number, TrialRecord>();
  private nextNumber = 0;

  async open(header: StudyHeader): Promise<TrialRecord[]> {
    if (this.header) checkHeader(this.header, header, 'memory study');
    else this.header = header;
    return this.listTrials();
  }

  async claimTrialNumber(): Promise<number> {
    return this.nextNumber++;
  }

  async saveTrial(trial: TrialRecord): Promise<void> {
    if (this.trials.has(trial.number)) throw new StudyError(`trial ${trial.number} is already stored`);
    this.trials.set(trial.number, trial);
    this.nextNumber = Math.max(this.nextNumber, trial.number + 1);
  }

  async listTrials(): Promise<TrialRecord[]> {
    return [...this.trials.values()].sort((a, b) => a.number - b.number);
  }
}

/**
 * Refuses to continue `stored` with `wanted` unless format, direction, search space and context
 * agree. A context is compared only when both headers hold one (a study stored without one
 * predates contexts, and an opener without one does not care).
 *
 * @throws StudyError listing each difference.
 */
export function checkHeader(stored: StudyHeader, wanted: StudyHeader, source: string): void {
  const differences: string[] = [];
  if (stored.format !== wanted.format)
    differences.push(`format ${stored.format} (this opp writes ${wanted.format})`);
  if (stored.direction !== wanted.direction) {
    differences.push(`direction: stored "${stored.direction}", requested "${wanted.direction}"`);
  }
  differences.push(...describeSpaceDifferences(stored.space, wanted.space));
  if (stored.context && wanted.context)
    differences.push(...describeContextDifferences(stored.context, wanted.context));
  if (differences.length > 0) {
    throw new StudyError(
      `${source}: study "${stored.name}" was made with another search space, settings or context; start a new study (another name) or use its search space:\n  ${differences.join('\n  ')}`,
      stored.name,
    );
  }
}

/** Human-readable differences between two search spaces, e.g. `learningRate.high: stored 0.1, requested 0.01`. */
export function describeSpaceDifferences(stored: SearchSpace, wanted: SearchSpace): string[] {
  const out: string[] = [];
  const storedByName = new Map(stored.params.map((p) => [p.name, p]));
  const wantedByName = new Map(wanted.params.map((p) => [p.name, p]));
  for (const name of storedByName.keys())
    if (!wantedByName.has(name)) out.push(`parameter "${name}" only in the stored study`);
  for (const name of wantedByName.keys())
    if (!storedByName.has(name)) out.push(`parameter "${name}" not in the stored study`);
  for (const [name, a] of storedByName) {
    const b = wantedByName.get(name);
    if (!b) continue;
    const left = flatten({ ...a.distribution, when: a.when ?? null });
    const right = flatten({ ...b.distribution, when: b.when ?? null });
    for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
      if (left[key] !== right[key])
        out.push(`${name}.${key}: stored ${left[key] ?? '(none)'}, requested ${right[key] ?? '(none)'}`);
    }
  }
  return out;
}

/** Differences between two study contexts, e.g. `context.data: stored 3f2a…, requested 9bc1…`. */
export function describeContextDifferences(stored: StudyContext, wanted: StudyContext): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(stored), ...Object.keys(wanted)])) {
    if (stored[key] !== wanted[key])
      out.push(`context.${key}: stored ${stored[key] ?? '(none)'}, requested ${wanted[key] ?? '(none)'}`);
  }
  return out;
}

function flatten(value: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v !== undefined) out[key] = JSON.stringify(v);
  }
  return out;
}
