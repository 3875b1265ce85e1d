import { StudyError } from '../../pipeline/errors/StudyError.js';
import type { Params, SearchSpace } from './distributions.js';
import { NopPruner, type Pruner } from './pruner.js';
import type { Sampler } from './random-sampler.js';
import { TpeSampler } from './sampler.js';
import { MemoryStudyStorage, STUDY_FORMAT, type StudyContext, type StudyStorage } from './study-storage.js';
import {
  type IntermediateValue,
  observeTrials,
  type RunningTrial,
  type StudyDirection,
  type TrialRecord,
  toLoss,
} from './trial.js';

/** Options of {@link Study.open}. */
export interface OpenStudyOptions {
  /** The study's name, stored with it. */
  name: string;
  space: SearchSpace;
  /** @default 'minimize' */
  direction?: StudyDirection;
  /** @default a new {@link MemoryStudyStorage} */
  storage?: StudyStorage;
  /** @default new TpeSampler({ seed }) */
  sampler?: Sampler;
  /** @default new NopPruner() */
  pruner?: Pruner;
  /** Seed of the default sampler. @default 0 */
  seed?: number;
  /**
   * What the trial values depend on besides the space (data, config fingerprints): stored in
   * the study's header when the study is created; a stored study with another context is refused.
   */
  context?: StudyContext;
}

/** A trial handed out by {@link Study.ask}: run the objective with `params`, then `tell`. */
export interface AskedTrial {
  readonly number: number;
  readonly params: Params;
}

/** How a trial ended, as told to {@link Study.tell}. */
export type TrialOutcome =
  | { readonly state: 'complete'; readonly value: number }
  | { readonly state: 'pruned' }
  | { readonly state: 'failed'; readonly error: string };

interface Running extends RunningTrial {
  readonly startedAt: string;
  readonly intermediate: IntermediateValue[];
}

/**
 * A hyper-parameter study, driven by ask and tell: `ask` proposes a trial's parameters,
 * `report` records its intermediate values and says whether to prune it, `tell` stores how it
 * ended. Finished trials go to the storage at once, so a study killed at any point resumes
 * (opened again with the same storage) without repeating them.
 *
 * @example
 * const study = await Study.open({ name: 'demo', space, direction: 'maximize', seed: 1 });
 * const trial = await study.ask();
 * await study.tell(trial.number, { state: 'complete', value: await evaluate(trial.params) });
 */
export class Study {
  private finished: TrialRecord[];
  private readonly running = new Map<number, Running>();
  /** Calls of `ask` still claiming a number, and of `tell` still storing their trial. */
  private asking = 0;
  private telling = 0;

  private constructor(
    readonly name: string,
    readonly space: SearchSpace,
    readonly direction: StudyDirection,
    private readonly storage: StudyStorage,
    private readonly sampler: Sampler,
    private readonly pruner: Pruner,
    finished: TrialRecord[],
  ) {
    this.finished = finished;
  }

  /**
   * Opens (or creates) a study in `options.storage`.
   *
   * @throws StudyError when the search space has no parameters, or the stored study was made
   *   with another search space or direction.
   */
  static async open(options: OpenStudyOptions): Promise<Study> {
    if (options.space.params.length === 0)
      throw new StudyError(
        `study "${options.name}": the search space has no parameters, so the study would search nothing`,
        options.name,
      );
    const direction = options.direction ?? 'minimize';
    const storage = options.storage ?? new MemoryStudyStorage();
    const finished = await storage.open({
      format: STUDY_FORMAT,
      name: options.name,
      direction,
      space: options.space,
      ...(options.context ? { context: options.context } : {}),
      createdAt: new Date().toISOString(),
    });
    return new Study(
      options.name,
      options.space,
      direction,
      storage,
      options.sampler ?? new TpeSampler({ seed: options.seed ?? 0 }),
      options.pruner ?? new NopPruner(),
      finished,
    );
  }

  /** Finished trials, in number order. */
  get trials(): readonly TrialRecord[] {
    return this.finished;
  }

  /** Trials asked and not yet stored (asks still claiming their number included). */
  get runningCount(): number {
    return this.running.size + this.asking + this.telling;
  }

  /** The best complete trial (ties: the earliest), or undefined when none completed. */
  get bestTrial(): TrialRecord | undefined {
    let best: TrialRecord | undefined;
    for (const t of this.finished) {
      if (t.state !== 'complete' || t.value === undefined) continue;
      if (!best || toLoss(t.value, this.direction) < toLoss(best.value!, this.direction)) best = t;
    }
    return best;
  }

  /** Claims a trial number and proposes its parameters from every trial known so far. */
  async ask(): Promise<AskedTrial> {
    this.asking++;
    try {
      const number = await this.storage.claimTrialNumber();
      this.finished = await this.storage.listTrials();
      const params = this.sampler.sample(
        this.space,
        observeTrials(this.finished, [...this.running.values()], this.direction),
        number,
      );
      this.running.set(number, { number, params, startedAt: new Date().toISOString(), intermediate: [] });
      return { number, params };
    } finally {
      // In the same step as `running.set`, so `runningCount` never counts a trial twice.
      this.asking--;
    }
  }

  /**
   * Records an intermediate value of a running trial (e.g. validation AUC after epoch `step`).
   *
   * @returns true when the pruner says the trial should stop now.
   * @throws StudyError for a trial that is not running.
   */
  report(number: number, step: number, value: number): boolean {
    const trial = this.runningTrial(number);
    const existing = trial.intermediate.findIndex((v) => v.step === step);
    if (existing >= 0) trial.intermediate[existing] = { step, value };
    else trial.intermediate.push({ step, value });
    trial.intermediate.sort((a, b) => a.step - b.step);
    const losses = trial.intermediate.map((v) => ({ step: v.step, value: toLoss(v.value, this.direction) }));
    const others = observeTrials(this.finished, [], this.direction);
    return this.pruner.shouldPrune(losses, others);
  }

  /**
   * Ends a running trial and stores it. A complete trial with a value that is not a finite
   * number is stored as failed.
   *
   * @returns the stored record.
   * @throws StudyError for a trial that is not running, or when the storage refuses the write.
   */
  async tell(number: number, outcome: TrialOutcome): Promise<TrialRecord> {
    const trial = this.runningTrial(number);
    this.running.delete(number);
    const base = {
      number,
      params: trial.params,
      intermediate: trial.intermediate,
      startedAt: trial.startedAt,
      finishedAt: new Date().toISOString(),
    };
    let record: TrialRecord;
    if (outcome.state === 'complete' && Number.isFinite(outcome.value)) {
      record = { ...base, state: 'complete', value: outcome.value };
    } else if (outcome.state === 'pruned') {
      const last = trial.intermediate.at(-1);
      record = { ...base, state: 'pruned', ...(last ? { value: last.value } : {}) };
    } else {
      const error = outcome.state === 'failed' ? outcome.error : `objective returned ${outcome.value}`;
      record = { ...base, state: 'failed', error };
    }
    this.telling++;
    try {
      await this.storage.saveTrial(record);
      this.finished = await this.storage.listTrials();
    } finally {
      // In the same step as the refresh of `finished`, so `runningCount` never misses a trial.
      this.telling--;
    }
    return record;
  }

  /** Releases the storage (e.g. the study file's lock); call when done with the study. */
  async close(): Promise<void> {
    await this.storage.close?.();
  }

  private runningTrial(number: number): Running {
    const trial = this.running.get(number);
    if (!trial) throw new StudyError(`trial ${number} is not running in study "${this.name}"`, this.name);
    return trial;
  }
}
