import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { GitShaSchema, type MetricsReport, MetricsReportSchema } from '../../model/metrics-report.js';
import { validateConfig } from '../config/load-config.js';
import { ArtifactError } from '../errors/ArtifactError.js';
import { type ComparisonReport, ComparisonReportSchema } from './comparison-report.js';

/**
 * Reading the report artifact of a pull request's run (`opp-metrics-report`, uploaded by
 * pr.yml) in a job that holds a write token (pr-comment.yml). The pull request's code wrote
 * every byte of it, a fork's included, so it is data and nothing else: each file is read by a
 * fixed name, refused when it is a symbolic link, not a regular file or larger than its cap,
 * parsed with `JSON.parse` (never `require`/`import`, which would run `pr.json.js` or
 * `pr.json/index.js`) and validated against its schema.
 */

/** The files read from the artifact, by their fixed names (nothing else in it is opened). */
export const PR_ARTIFACT_FILES = {
  pullRequest: 'pr.json',
  candidate: 'candidate/metrics.json',
  baseline: 'baseline/metrics.json',
  comparison: 'comparison.json',
} as const;

/** Largest `pr.json` read (4 KiB; pr.yml writes about 150 bytes). */
export const MAX_PR_INFO_BYTES = 4 * 1024;
/** Largest metrics or comparison report read (8 MiB; a 20-division report is under 1 MiB). */
export const MAX_REPORT_BYTES = 8 * 1024 * 1024;

/** `pr.json`: the pull request the run was for, and what it built. */
export const PullRequestInfoSchema = z.strictObject({
  /** The pull request's number. */
  number: z
    .number()
    .int()
    .min(1)
    .max(2 ** 31 - 1),
  /** The head commit the run built. */
  headSha: GitShaSchema,
  /** Where the run's training data came from (free text: the comment shows it escaped and cut short). */
  data: z.string().max(500).optional(),
});
export type PullRequestInfo = z.output<typeof PullRequestInfoSchema>;

/** What the artifact holds, each file checked. */
export interface PrArtifact {
  pullRequest: PullRequestInfo;
  /** The candidate's metrics report. */
  candidate: MetricsReport;
  /** The base commit's model scored on the same rows, when the run trained one. */
  baseline?: MetricsReport;
  /** Candidate vs base commit with bootstrap intervals, when the run compared them. */
  comparison?: ComparisonReport;
}

/**
 * Reads and checks the PR report artifact downloaded to `dir`.
 *
 * @param dir - the folder the artifact was downloaded to (outside the checkout).
 * @returns `pr.json` and the reports; `baseline` and `comparison` when present.
 * @throws ArtifactError naming the file and what was wrong with it.
 */
export function readPrArtifact(dir: string): PrArtifact {
  const files = PR_ARTIFACT_FILES;
  const pullRequest = readArtifactJson(dir, files.pullRequest, PullRequestInfoSchema, MAX_PR_INFO_BYTES);
  const candidate = readArtifactJson(dir, files.candidate, MetricsReportSchema, MAX_REPORT_BYTES);
  const baseline = readArtifactJson(dir, files.baseline, MetricsReportSchema, MAX_REPORT_BYTES, {
    optional: true,
  });
  const comparison = readArtifactJson(dir, files.comparison, ComparisonReportSchema, MAX_REPORT_BYTES, {
    optional: true,
  });
  return {
    pullRequest,
    candidate,
    ...(baseline ? { baseline } : {}),
    ...(comparison ? { comparison } : {}),
  };
}

export interface ReadArtifactJsonOptions {
  /** Return `undefined` when the file is absent (anything else wrong still throws). @default false */
  optional?: boolean;
}

/**
 * Reads `name` (a fixed, `/`-separated path inside `dir`) as JSON matching `schema`. `dir` and
 * every folder on the way must be real folders, and the file a regular file of at most
 * `maxBytes`, none of them a symbolic link; the file is opened with `O_NOFOLLOW` and checked
 * again on the open descriptor, so a swap after the check is refused too.
 *
 * @throws ArtifactError naming `name` and what was wrong.
 */
export function readArtifactJson<S extends z.ZodType>(
  dir: string,
  name: string,
  schema: S,
  maxBytes: number,
  options: { optional: true },
): z.output<S> | undefined;
export function readArtifactJson<S extends z.ZodType>(
  dir: string,
  name: string,
  schema: S,
  maxBytes: number,
  options?: ReadArtifactJsonOptions,
): z.output<S>;
export function readArtifactJson<S extends z.ZodType>(
  dir: string,
  name: string,
  schema: S,
  maxBytes: number,
  options: ReadArtifactJsonOptions = {},
): z.output<S> | undefined {
  const parts = name.split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..'))
    throw new TypeError(`artifact file name must be a plain relative path, but got "${name}"`);
  const fail = (problem: string, cause?: unknown) =>
    new ArtifactError(`artifact file ${name}: ${problem}`, name, cause === undefined ? {} : { cause });

  // The artifact folder and every folder on the way: real folders, not links to elsewhere.
  if (!checkFolder(dir, 'the artifact folder', fail)) throw fail(`the artifact folder ${dir} is missing`);
  let path = dir;
  for (const [i, part] of parts.slice(0, -1).entries()) {
    path = join(path, part);
    const exists = checkFolder(path, `folder ${parts.slice(0, i + 1).join('/')}`, fail);
    if (!exists) {
      if (options.optional) return undefined;
      throw fail(`folder ${parts.slice(0, i + 1).join('/')} is missing`);
    }
  }

  const file = join(path, parts.at(-1)!);
  const stats = lstatOrUndefined(file, fail);
  if (!stats) {
    if (options.optional) return undefined;
    throw fail('is missing');
  }
  checkRegularFile(stats, maxBytes, fail);
  const text = readCapped(file, maxBytes, fail);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw fail(`is not valid JSON (${(error as Error).message})`, error);
  }
  try {
    return validateConfig(value, schema, `artifact file ${name}`);
  } catch (error) {
    throw new ArtifactError((error as Error).message, name, { cause: error });
  }
}

type Fail = (problem: string, cause?: unknown) => ArtifactError;

/** False when `path` is absent; throws when it is a link or not a folder. */
function checkFolder(path: string, where: string, fail: Fail): boolean {
  const stats = lstatOrUndefined(path, fail);
  if (!stats) return false;
  if (stats.isSymbolicLink()) throw fail(`${where} is a symbolic link: refused`);
  if (!stats.isDirectory()) throw fail(`${where} is not a folder: refused`);
  return true;
}

function lstatOrUndefined(path: string, fail: Fail): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fail(`cannot be examined (${(error as Error).message})`, error);
  }
}

function checkRegularFile(stats: Stats, maxBytes: number, fail: Fail): void {
  if (stats.isSymbolicLink()) throw fail('is a symbolic link: refused');
  if (stats.isDirectory()) throw fail('is a folder, not a file: refused');
  if (!stats.isFile()) throw fail('is not a regular file: refused');
  if (stats.size > maxBytes) throw fail(`is ${stats.size} bytes, over the ${maxBytes}-byte limit: refused`);
}

/** Reads at most `maxBytes` through a descriptor opened without following links, as UTF-8. */
function readCapped(file: string, maxBytes: number, fail: Fail): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw fail('is a symbolic link: refused', error);
    throw fail(`cannot be opened (${(error as Error).message})`, error);
  }
  try {
    checkRegularFile(fstatSync(fd), maxBytes, fail);
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > maxBytes) throw fail(`grew over the ${maxBytes}-byte limit while read: refused`);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length));
    } catch (error) {
      throw fail('is not UTF-8 text', error);
    }
  } finally {
    closeSync(fd);
  }
}
