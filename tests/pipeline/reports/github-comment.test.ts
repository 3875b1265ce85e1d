import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubApiError } from '../../../pipeline/errors/GitHubApiError.js';
import {
  createGitHubClient,
  GITHUB_ACTIONS_BOT_LOGIN,
  resolveTokenLogin,
  upsertMarkedComment,
} from '../../../pipeline/reports/github-comment.js';
import { METRICS_COMMENT_MARKER } from '../../../pipeline/reports/pr-comment.js';
import { type FakeGitHub, startFakeGitHub } from '../../support/fake-github.js';

const issue = { owner: 'acme', repo: 'opp', issueNumber: 7 };
const body = (text: string) => `${METRICS_COMMENT_MARKER}\n${text}`;
const fast = { retryDelayMs: 1 };

let github: FakeGitHub;
beforeEach(async () => {
  github = await startFakeGitHub({ defaultPerPage: 5 });
});
afterEach(() => github.close());

describe('upsertMarkedComment', () => {
  it('creates the comment once, then updates it in place, then leaves it alone when unchanged', async () => {
    const client = createGitHubClient('test-token', { baseUrl: github.url });
    const first = await upsertMarkedComment(client, issue, body('run 1'), fast);
    expect(first.action).toBe('created');
    const second = await upsertMarkedComment(client, issue, body('run 2'), fast);
    expect(second).toMatchObject({ action: 'updated', commentId: first.commentId, removed: [] });
    const third = await upsertMarkedComment(client, issue, body('run 2'), fast);
    expect(third.action).toBe('unchanged');
    const comments = github.comments('acme', 'opp', 7);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toBe(body('run 2'));
    expect(github.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(github.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it('finds its comment on a later page among many others (following Link headers)', async () => {
    for (let i = 0; i < 260; i++)
      github.addComment('acme', 'opp', 7, `comment ${i}`, i % 2 ? 'alice' : 'github-actions[bot]');
    const ours = github.addComment('acme', 'opp', 7, body('old'), 'github-actions[bot]');
    for (let i = 0; i < 12; i++) github.addComment('acme', 'opp', 7, `late ${i}`, 'bob');
    const client = createGitHubClient('test-token', { baseUrl: github.url });
    const result = await upsertMarkedComment(client, issue, body('new'), {
      ...fast,
      author: 'github-actions[bot]',
    });
    expect(result).toMatchObject({ action: 'updated', commentId: ours.id });
    // 273 comments at 100 per page.
    expect(github.requests.filter((r) => r.method === 'GET')).toHaveLength(3);
    expect(github.comments('acme', 'opp', 7)).toHaveLength(273);
  });

  it('ignores a marked comment by someone else when an author is given, and one that only quotes the marker', async () => {
    github.addComment('acme', 'opp', 7, body('pasted by a person'), 'alice');
    github.addComment('acme', 'opp', 7, `see ${METRICS_COMMENT_MARKER}`, 'github-actions[bot]');
    const client = createGitHubClient('test-token', { baseUrl: github.url });
    const result = await upsertMarkedComment(client, issue, body('ours'), {
      ...fast,
      author: 'github-actions[bot]',
    });
    expect(result.action).toBe('created');
    expect(github.comments('acme', 'opp', 7)).toHaveLength(3);
  });

  it('keeps the oldest of duplicates left by a race and deletes the others', async () => {
    const oldest = github.addComment('acme', 'opp', 7, body('a'), 'github-actions[bot]');
    github.addComment('acme', 'opp', 7, body('b'), 'github-actions[bot]');
    const client = createGitHubClient('test-token', { baseUrl: github.url });
    const result = await upsertMarkedComment(client, issue, body('c'), fast);
    expect(result).toMatchObject({ action: 'updated', commentId: oldest.id });
    expect(result.removed).toHaveLength(1);
    expect(github.comments('acme', 'opp', 7).map((c) => c.body)).toEqual([body('c')]);
  });

  it('retries a transient list failure', async () => {
    github.inject({ method: 'GET', path: /\/comments$/, status: 502, times: 2 });
    const client = createGitHubClient('test-token', { baseUrl: github.url });
    const result = await upsertMarkedComment(client, issue, body('x'), fast);
    expect(result.action).toBe('created');
    expect(github.requests.filter((r) => r.status === 502)).toHaveLength(2);
  });

  it('does not post twice when a create was stored but its answer failed', async () => {
    github.inject({ method: 'POST', path: /\/comments$/, status: 500, applyFirst: true });
    const client = createGitHubClient('test-token', { baseUrl: github.url });
    const result = await upsertMarkedComment(client, issue, body('x'), fast);
    expect(result.action).toBe('unchanged');
    expect(github.comments('acme', 'opp', 7)).toHaveLength(1);
  });

  it('fails with a GitHubApiError that explains a 403 (fork token) without retrying it', async () => {
    github.inject({ method: 'POST', path: /\/comments$/, status: 403 });
    const client = createGitHubClient('test-token', { baseUrl: github.url });
    const error = await upsertMarkedComment(client, issue, body('x'), fast).catch((e: unknown) => e);
    expect(error instanceof GitHubApiError).toBe(true);
    expect(error).toMatchObject({ status: 403, operation: 'create comment on acme/opp#7' });
    expect((error as Error).message).toContain('pull-requests: write');
    expect(github.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('fails on a bad token with HTTP 401', async () => {
    const client = createGitHubClient('wrong', { baseUrl: github.url });
    const error = await upsertMarkedComment(client, issue, body('x'), fast).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401 });
    expect((error as Error).message).toContain('the token is missing or invalid');
  });

  it('refuses a body that does not start with the marker', async () => {
    const client = createGitHubClient('test-token', { baseUrl: github.url });
    await expect(upsertMarkedComment(client, issue, 'no marker', fast)).rejects.toThrow(
      /must start with its marker/,
    );
    expect(github.requests).toHaveLength(0);
  });
});

describe('resolveTokenLogin', () => {
  it("gives a personal token's login, and github-actions[bot] for an installation token", async () => {
    await github.close();
    github = await startFakeGitHub({ tokens: { pat: 'alice', 'test-token': 'github-actions[bot]' } });
    expect(await resolveTokenLogin(createGitHubClient('pat', { baseUrl: github.url }))).toBe('alice');
    expect(await resolveTokenLogin(createGitHubClient('test-token', { baseUrl: github.url }))).toBe(
      GITHUB_ACTIONS_BOT_LOGIN,
    );
    await expect(
      resolveTokenLogin(createGitHubClient('nope', { baseUrl: github.url })),
    ).rejects.toMatchObject({
      status: 401,
    });
  });
});
