import { existsSync, readFileSync } from 'node:fs';

/** The repository of the run, from `GITHUB_REPOSITORY` (`owner/repo`). */
export function repositoryFromEnv(env: NodeJS.ProcessEnv = process.env): { owner: string; repo: string } {
  const [owner, repo, ...rest] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (!owner || !repo || rest.length > 0) {
    throw new TypeError(`GITHUB_REPOSITORY must be "owner/repo", but got "${env.GITHUB_REPOSITORY ?? ''}"`);
  }
  return { owner, repo };
}

/**
 * The pull request number of the triggering event (`pull_request.number`, or `issue.number`
 * for a comment on a pull request), read from `GITHUB_EVENT_PATH`; `undefined` otherwise.
 */
export function pullRequestFromEvent(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const path = env.GITHUB_EVENT_PATH;
  if (!path || !existsSync(path)) return undefined;
  const event = JSON.parse(readFileSync(path, 'utf8')) as {
    pull_request?: { number?: number };
    issue?: { number?: number; pull_request?: unknown };
  };
  if (typeof event.pull_request?.number === 'number') return event.pull_request.number;
  if (event.issue?.pull_request && typeof event.issue.number === 'number') return event.issue.number;
  return undefined;
}

/** The web page of this workflow run, where its artifacts are listed; `undefined` outside Actions. */
export function runUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = env;
  return server && repository && runId ? `${server}/${repository}/actions/runs/${runId}` : undefined;
}
