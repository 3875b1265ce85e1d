import { getOctokit } from '@actions/github';
import { GitHubApiError } from '../errors/GitHubApiError.js';
import { type RetryOptions, withRetry } from '../util/retry.js';
import { METRICS_COMMENT_MARKER } from './pr-comment.js';

/** The Octokit client `@actions/github` builds (REST methods + pagination). */
export type GitHubClient = ReturnType<typeof getOctokit>;

/** An issue or pull request (GitHub's issue comments API serves both). */
export interface IssueRef {
  owner: string;
  repo: string;
  issueNumber: number;
}

export interface CreateGitHubClientOptions {
  /** REST API root. @default process.env.GITHUB_API_URL, else https://api.github.com */
  baseUrl?: string;
}

/**
 * An Octokit client for `token`. The base URL is passed explicitly because `@actions/github`
 * reads `GITHUB_API_URL` only once, when it is first imported.
 */
export function createGitHubClient(token: string, options: CreateGitHubClientOptions = {}): GitHubClient {
  const baseUrl = options.baseUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com';
  return getOctokit(token, { baseUrl });
}

/** The login of the default `GITHUB_TOKEN` of a workflow run. */
export const GITHUB_ACTIONS_BOT_LOGIN = 'github-actions[bot]';

/**
 * The login the token writes comments as: `GET /user` for a personal token; an installation
 * token (a workflow's `GITHUB_TOKEN`) may not call it (403), and writes as
 * `github-actions[bot]`.
 *
 * @throws GitHubApiError when the token is refused (401) or GitHub fails.
 */
export async function resolveTokenLogin(client: GitHubClient): Promise<string> {
  try {
    const { data } = await client.rest.users.getAuthenticated();
    return data.login;
  } catch (error) {
    if (statusOf(error) === 403) return GITHUB_ACTIONS_BOT_LOGIN;
    throw toGitHubApiError(error, 'get the token user');
  }
}

/**
 * Checks that pull request `issue` has head commit `headSha`. A workflow that comments on
 * behalf of another run (e.g. `workflow_run` after a fork's `pull_request` run) reads the PR
 * number from that run's artifact, which the PR's code could have forged: checking it
 * against the triggering run's head SHA stops a comment landing on another pull request.
 *
 * @throws GitHubApiError (status 409) when the head differs, or when GitHub fails.
 */
export async function verifyPullRequestHead(
  client: GitHubClient,
  issue: IssueRef,
  headSha: string,
): Promise<void> {
  const where = `${issue.owner}/${issue.repo}#${issue.issueNumber}`;
  let actual: string;
  try {
    const { data } = await client.rest.pulls.get({
      owner: issue.owner,
      repo: issue.repo,
      pull_number: issue.issueNumber,
    });
    actual = data.head.sha;
  } catch (error) {
    throw toGitHubApiError(error, `get pull request ${where}`);
  }
  if (actual !== headSha) {
    throw new GitHubApiError(
      `pull request ${where} has head ${actual}, not ${headSha}: refusing to comment on it`,
      `verify pull request ${where}`,
      HEAD_MISMATCH_STATUS,
    );
  }
}

/** Status given to a head-SHA mismatch (HTTP 409 Conflict: the PR is not the one expected). */
export const HEAD_MISMATCH_STATUS = 409;

/** Attempts of a call that failed with a 5xx, a 429 or no response. */
export const DEFAULT_ATTEMPTS = 3;
/** First wait between attempts; it doubles each time. */
export const DEFAULT_RETRY_DELAY_MS = 500;

export interface UpsertCommentOptions {
  /** Hidden marker the comment starts with. @default METRICS_COMMENT_MARKER */
  marker?: string;
  /**
   * Only comments by this login are ours (e.g. `github-actions[bot]`). When unset, any
   * comment that starts with the marker is.
   */
  author?: string;
  /** Delete our extra marked comments (left by an earlier race) after updating the oldest. @default true */
  removeDuplicates?: boolean;
  /** Attempts per call on 5xx, 429 or network failure. @default 3 */
  attempts?: number;
  /** First wait between attempts, doubling. @default 500 */
  retryDelayMs?: number;
}

export interface UpsertCommentResult {
  action: 'created' | 'updated' | 'unchanged';
  commentId: number;
  url: string;
  /** Ids of duplicate marked comments that were deleted. */
  removed: number[];
}

interface IssueComment {
  id: number;
  body?: string | null;
  html_url: string;
  user?: { login: string } | null;
}

/**
 * Posts `body` as the one marked comment on an issue or pull request: updates ours in place
 * when it exists (the oldest, if a race left several), else creates it. Never leaves two.
 *
 * A create that fails with a 5xx may still have been stored, so before trying it again the
 * comments are listed afresh and an existing one is updated instead.
 *
 * @throws GitHubApiError naming the call, the status and what to check (token permissions, PR number).
 */
export async function upsertMarkedComment(
  client: GitHubClient,
  issue: IssueRef,
  body: string,
  options: UpsertCommentOptions = {},
): Promise<UpsertCommentResult> {
  const marker = options.marker ?? METRICS_COMMENT_MARKER;
  if (!body.trimStart().startsWith(marker)) {
    throw new GitHubApiError(`the comment body must start with its marker ${marker}`, 'upsert comment', 0);
  }
  const retry: RetryOptions = {
    attempts: options.attempts ?? DEFAULT_ATTEMPTS,
    baseDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
  };
  const where = `${issue.owner}/${issue.repo}#${issue.issueNumber}`;
  const params = { owner: issue.owner, repo: issue.repo };
  const findOurs = async () => {
    const comments: IssueComment[] = await call(`list comments on ${where}`, retry, () =>
      client.paginate(client.rest.issues.listComments, {
        ...params,
        issue_number: issue.issueNumber,
        per_page: 100,
      }),
    );
    return comments
      .filter((c) => (c.body ?? '').trimStart().startsWith(marker))
      .filter((c) => options.author === undefined || c.user?.login === options.author)
      .sort((a, b) => a.id - b.id);
  };

  let ours = await findOurs();
  let action: UpsertCommentResult['action'];
  let target: IssueComment;
  if (ours.length === 0) {
    const created = await createOnce(client, issue, body, retry, where, async () => {
      ours = await findOurs();
      return ours[0];
    });
    if ('created' in created)
      return { action: 'created', commentId: created.created.id, url: created.created.html_url, removed: [] };
    target = created.existing;
  } else {
    target = ours[0]!;
  }
  if (target.body === body) {
    action = 'unchanged';
  } else {
    const { data } = await call(`update comment ${target.id} on ${where}`, retry, () =>
      client.rest.issues.updateComment({ ...params, comment_id: target.id, body }),
    );
    target = data;
    action = 'updated';
  }
  const removed: number[] = [];
  if (options.removeDuplicates !== false) {
    for (const duplicate of ours.filter((c) => c.id !== target.id)) {
      await call(`delete duplicate comment ${duplicate.id} on ${where}`, retry, () =>
        client.rest.issues.deleteComment({ ...params, comment_id: duplicate.id }),
      );
      removed.push(duplicate.id);
    }
  }
  return { action, commentId: target.id, url: target.html_url, removed };
}

async function createOnce(
  client: GitHubClient,
  issue: IssueRef,
  body: string,
  retry: RetryOptions,
  where: string,
  findExisting: () => Promise<IssueComment | undefined>,
): Promise<{ created: IssueComment } | { existing: IssueComment }> {
  const operation = `create comment on ${where}`;
  try {
    return await withRetry(
      async (attempt) => {
        // A failed create may have been stored: look before posting again.
        const existing = attempt > 1 ? await findExisting() : undefined;
        if (existing) return { existing };
        const { data } = await client.rest.issues.createComment({
          owner: issue.owner,
          repo: issue.repo,
          issue_number: issue.issueNumber,
          body,
        });
        return { created: data };
      },
      // The look-up has retried on its own (a GitHubApiError): only the create is retried here.
      (error) => !(error instanceof GitHubApiError) && isTransient(error),
      retry,
    );
  } catch (error) {
    throw error instanceof GitHubApiError ? error : toGitHubApiError(error, operation);
  }
}

/** Runs an idempotent call, retrying transient failures with exponential backoff. */
async function call<T>(operation: string, retry: RetryOptions, fn: () => Promise<T>): Promise<T> {
  try {
    return await withRetry(fn, isTransient, retry);
  } catch (error) {
    throw toGitHubApiError(error, operation);
  }
}

function statusOf(error: unknown): number {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : 0;
}

function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  return status === 0 || status === 429 || status >= 500;
}

function toGitHubApiError(error: unknown, operation: string): GitHubApiError {
  const status = statusOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  const hint =
    status === 401
      ? 'the token is missing or invalid'
      : status === 403
        ? 'the token may lack `pull-requests: write` (or `issues: write`); pull requests from forks get a read-only token'
        : status === 404
          ? 'check the repository and the pull request number, and that the token can see the repository'
          : status === 0
            ? 'no response: check GITHUB_API_URL and the network'
            : 'GitHub answered with an error';
  return new GitHubApiError(
    `${operation} failed (HTTP ${status || 'none'}): ${detail}. ${hint}`,
    operation,
    status,
    {
      cause: error,
    },
  );
}

/**
 * Parses `owner/repo#123` into an issue reference.
 *
 * @throws TypeError naming the expected form.
 */
export function parseIssueRef(text: string): IssueRef {
  const match = /^([\w.-]+)\/([\w.-]+)#(\d+)$/.exec(text.trim());
  if (!match || Number(match[3]) <= 0) throw new TypeError(`expected owner/repo#number, but got "${text}"`);
  return { owner: match[1]!, repo: match[2]!, issueNumber: Number(match[3]) };
}
