import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { StudyError } from '../../pipeline/errors/StudyError.js';
import { acquireStudyLock, releaseStudyLock } from './study-file-lock.js';
import { checkHeader, type StudyHeader, type StudyStorage } from './study-storage.js';
import type { TrialRecord } from './trial.js';
import { TrialRecordSchema } from './trial-record-schema.js';

const TrialLine = TrialRecordSchema.extend({ kind: z.literal('trial') });

/**
 * A study in a JSON-lines file: a header line (`"kind": "study"`, with the search space),
 * then one line appended per finished trial. A process killed mid-study loses only its running
 * trials; a half-written last line is dropped on the next open. One process writes a file at
 * a time (its worker threads report to it), enforced by a `<file>.lock` holding its process id
 * (a lock whose process has died is taken over); for several machines use a shared store (see
 * {@link StudyStorage}).
 *
 * @example
 * const storage = new JsonLinesStudyStorage('.opp/studies/mlp.jsonl');
 */
export class JsonLinesStudyStorage implements StudyStorage {
  private trials: TrialRecord[] = [];
  private nextNumber = 0;
  /** Appends in order, one at a time. */
  private writes: Promise<void> = Promise.resolve();

  /** @param file - the study file; created with its folder on first open. */
  constructor(readonly file: string) {}

  async open(header: StudyHeader): Promise<TrialRecord[]> {
    await mkdir(dirname(this.file), { recursive: true });
    acquireStudyLock(this.file);
    try {
      return await this.load(header);
    } catch (error) {
      releaseStudyLock(this.file);
      throw error;
    }
  }

  /** Releases the study file's lock (see {@link acquireStudyLock}). */
  async close(): Promise<void> {
    await this.writes;
    releaseStudyLock(this.file);
  }

  private async load(header: StudyHeader): Promise<TrialRecord[]> {
    if (!existsSync(this.file)) {
      await writeFile(this.file, `${JSON.stringify({ kind: 'study', ...header })}\n`, { flag: 'wx' });
      this.trials = [];
      this.nextNumber = 0;
      return [];
    }
    const text = await readFile(this.file, 'utf8');
    const lines = text.split('\n');
    const complete = text.endsWith('\n') ? lines.slice(0, -1) : lines;
    if (!text.endsWith('\n')) {
      // The last line was cut short by a kill: drop it so the next append starts a fresh line.
      complete.pop();
      await truncate(this.file, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
    }
    if (complete.length === 0)
      throw new StudyError(`${this.file}: empty study file (no header line)`, this.file);
    const stored = this.parseHeader(complete[0]!);
    checkHeader(stored, header, this.file);
    const seen = new Set<number>();
    this.trials = complete.slice(1).map((line, i) => {
      const trial = this.parseTrial(line, i + 2);
      if (seen.has(trial.number))
        throw new StudyError(`${this.file}:${i + 2}: trial ${trial.number} stored twice`, this.file);
      seen.add(trial.number);
      return trial;
    });
    this.trials.sort((a, b) => a.number - b.number);
    this.nextNumber = (this.trials.at(-1)?.number ?? -1) + 1;
    return [...this.trials];
  }

  async claimTrialNumber(): Promise<number> {
    return this.nextNumber++;
  }

  async saveTrial(trial: TrialRecord): Promise<void> {
    if (this.trials.some((t) => t.number === trial.number)) {
      throw new StudyError(`${this.file}: trial ${trial.number} is already stored`, this.file);
    }
    this.trials.push(trial);
    this.nextNumber = Math.max(this.nextNumber, trial.number + 1);
    const line = `${JSON.stringify({ kind: 'trial', ...trial })}\n`;
    const write = this.writes.then(() => appendFile(this.file, line));
    this.writes = write.catch(() => undefined);
    try {
      await write;
    } catch (error) {
      throw new StudyError(
        `${this.file}: cannot append trial ${trial.number}: ${(error as Error).message}`,
        this.file,
        {
          cause: error,
        },
      );
    }
  }

  async listTrials(): Promise<TrialRecord[]> {
    return [...this.trials].sort((a, b) => a.number - b.number);
  }

  private parseHeader(line: string): StudyHeader {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new StudyError(`${this.file}:1: not a study file (bad JSON header)`, this.file, { cause: error });
    }
    const header = value as Partial<StudyHeader> & { kind?: unknown };
    if (
      header.kind !== 'study' ||
      typeof header.name !== 'string' ||
      !header.space ||
      !Array.isArray(header.space.params)
    ) {
      throw new StudyError(
        `${this.file}:1: not a study file (the first line must be its "study" header)`,
        this.file,
      );
    }
    return header as StudyHeader;
  }

  private parseTrial(line: string, lineNumber: number): TrialRecord {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new StudyError(`${this.file}:${lineNumber}: bad JSON in a trial line`, this.file, {
        cause: error,
      });
    }
    const parsed = TrialLine.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new StudyError(
        `${this.file}:${lineNumber}: bad trial line: ${issue.path.join('.')} ${issue.message}`,
        this.file,
      );
    }
    const { kind: _kind, ...trial } = parsed.data;
    return trial;
  }
}
