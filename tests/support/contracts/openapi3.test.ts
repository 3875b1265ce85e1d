import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../fake-github.js';
import { publicUser, pullRequest } from '../fake-github-resources.js';
import { GITHUB_CONTRACT_VERSION, gitHubContract } from './github.js';

const contract = gitHubContract();

describe('the OpenAPI 3.0 checker on the vendored GitHub description (issue comments)', () => {
  it('reads the REST API version from the extract', () => {
    expect(contract.apiVersion).toBe(GITHUB_CONTRACT_VERSION);
  });

  it('matches operations by path template and method', () => {
    expect(contract.match('GET', '/repos/acme/opp/issues/7/comments')?.operationId).toBe(
      'issues/list-comments',
    );
    expect(contract.match('POST', '/repos/acme/opp/issues/7/comments')?.operationId).toBe(
      'issues/create-comment',
    );
    expect(contract.match('PATCH', '/repos/acme/opp/issues/comments/9')?.operationId).toBe(
      'issues/update-comment',
    );
    expect(contract.match('PUT', '/repos/acme/opp/issues/comments/9')).toBeUndefined();
  });

  it('refuses a comment without a string body (422) and a non-numeric issue number (404)', () => {
    const create = contract.match('POST', '/repos/acme/opp/issues/7/comments')!;
    const none = new URLSearchParams();
    expect(contract.checkOperation(create, none, { body: 'hi' })).toBeUndefined();
    expect(contract.checkOperation(create, none, {})).toEqual({
      status: 422,
      errors: ['body.body: required'],
    });
    expect(contract.checkOperation(create, none, { body: 7 })).toEqual({
      status: 422,
      errors: ['body.body: expected a string'],
    });
    expect(contract.checkOperation(create, none, undefined)).toEqual({
      status: 422,
      errors: ['body: required'],
    });
    const bad = contract.match('POST', '/repos/acme/opp/issues/seven/comments')!;
    expect(contract.checkOperation(bad, none, { body: 'hi' })).toEqual({
      status: 404,
      errors: ['path parameter issue_number: expected an integer'],
    });
  });

  it('checks query parameters by their schema', () => {
    const list = contract.match('GET', '/repos/acme/opp/issues/7/comments')!;
    expect(
      contract.checkOperation(list, new URLSearchParams({ per_page: '100', page: '2' }), undefined),
    ).toBe(undefined);
    expect(contract.checkOperation(list, new URLSearchParams({ per_page: 'all' }), undefined)).toEqual({
      status: 422,
      errors: ['query parameter per_page: expected an integer'],
    });
    expect(contract.checkOperation(list, new URLSearchParams({ since: 'yesterday' }), undefined)).toEqual({
      status: 422,
      errors: ['query parameter since: not a date-time'],
    });
  });

  it('takes null where an alternative is nullable, and checks oneOf against each alternative', () => {
    const error = (value: unknown) => ({
      message: 'Validation Failed',
      documentation_url: 'https://docs.github.com/rest',
      errors: [{ code: 'invalid', value }],
    });
    expect(contract.checkSchema('validation-error', error('x'))).toEqual([]);
    expect(contract.checkSchema('validation-error', error(null))).toEqual([]);
    expect(contract.checkSchema('validation-error', error(['a', 'b']))).toEqual([]);
    expect(contract.checkSchema('validation-error', error(true))[0]).toMatch(
      /^validation-error\.errors\[0\]\.value: fits none of the oneOf alternatives/,
    );
    expect(contract.checkSchema('validation-error', { message: 'Validation Failed' })).toEqual([
      'validation-error.documentation_url: required',
    ]);
  });

  it('refuses the comment author the fake used to send ({login, id, type}: not a simple-user)', () => {
    const comment = {
      id: 1000,
      node_id: 'IC_1000',
      url: 'http://127.0.0.1/repos/acme/opp/issues/comments/1000',
      html_url: 'https://github.test/acme/opp/pull/7#issuecomment-1000',
      issue_url: 'http://127.0.0.1/repos/acme/opp/issues/7',
      body: 'x',
      created_at: '2026-11-25T09:00:01.000Z',
      updated_at: '2026-11-25T09:00:01.000Z',
      author_association: 'NONE',
    };
    const problems = contract.checkSchema('issue-comment', {
      ...comment,
      user: { login: 'github-actions[bot]', id: 19, type: 'Bot' },
    });
    expect(problems).toContain('issue-comment.user.node_id: required');
    expect(problems).toContain('issue-comment.user.site_admin: required');
    expect(contract.checkSchema('issue-comment', { ...comment, user: null })).toEqual([]);
    expect(
      contract.checkSchema('issue-comment', { ...comment, user: null, author_association: 'BOT' }),
    ).toEqual([
      'issue-comment.author_association: "BOT" is not one of COLLABORATOR, CONTRIBUTOR, FIRST_TIMER, FIRST_TIME_CONTRIBUTOR, MANNEQUIN, MEMBER, NONE, OWNER',
    ]);
  });
});

describe('the checker on GET /user and pulls.get', () => {
  it('matches them and refuses a pull number that is not a number (404, as GitHub answers)', () => {
    expect(contract.match('GET', '/user')?.operationId).toBe('users/get-authenticated');
    const get = contract.match('GET', '/repos/acme/opp/pulls/7')!;
    expect(get.operationId).toBe('pulls/get');
    expect(contract.checkOperation(get, new URLSearchParams(), undefined)).toBeUndefined();
    expect(
      contract.checkOperation(
        contract.match('GET', '/repos/acme/opp/pulls/7.5')!,
        new URLSearchParams(),
        undefined,
      ),
    ).toEqual({ status: 404, errors: ['path parameter pull_number: expected an integer'] });
  });

  it('takes a full public-user and pull-request, and refuses the stubs the fake used to send', () => {
    const user = contract.match('GET', '/user')!;
    const api = 'http://127.0.0.1:1';
    expect(contract.checkResponse(user, 200, publicUser(api, 'alice'))).toEqual([]);
    expect(contract.checkResponse(user, 200, { login: 'alice', id: 5, type: 'User' })[0]).toMatch(
      /fits none of the oneOf alternatives/,
    );
    const get = contract.match('GET', '/repos/acme/opp/pulls/7')!;
    expect(contract.checkResponse(get, 200, pullRequest(api, 'acme', 'opp', 7, 'a'.repeat(40)))).toEqual([]);
    const stub = contract.checkResponse(get, 200, { number: 7, head: { sha: 'a'.repeat(40) } });
    expect(stub).toContain('200 body.head.repo: required');
    expect(stub).toContain('200 body.base: required');
    const noRepo = pullRequest(api, 'acme', 'opp', 7, 'a'.repeat(40));
    expect(
      contract.checkResponse(get, 200, { ...noRepo, head: { ...noRepo.head, repo: { name: 'opp' } } }),
    ).toContain('200 body.head.repo.full_name: required');
  });
});

describe('the fake GitHub, checked against the description', () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await startFakeGitHub({ tokens: { 'test-token': 'github-actions[bot]', pat: 'alice' } });
  });
  afterEach(() => github.close());

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${github.url}${path}`, {
      method,
      headers: { authorization: 'token test-token', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('answers a comment without a body as GitHub does: 422 Validation Failed', async () => {
    const res = await call('POST', '/repos/acme/opp/issues/7/comments', { text: 'hi' });
    expect(res.status).toBe(422);
    const answer = await res.json();
    expect(answer).toMatchObject({ message: 'Validation Failed', documentation_url: expect.any(String) });
    expect(contract.checkSchema('validation-error', answer)).toEqual([]);
    expect(github.violations).toEqual([
      'POST /repos/acme/opp/issues/7/comments: body.body: required; body.text: not a property of the model',
    ]);
    expect(github.comments('acme', 'opp', 7)).toEqual([]);
  });

  it('answers 404 to an issue number that is not a number', async () => {
    const res = await call('GET', '/repos/acme/opp/issues/latest/comments');
    expect(res.status).toBe(404);
    expect(github.violations).toHaveLength(1);
  });

  it('answers GET /user and pulls.get as the description says, and refuses a pull number that is not one', async () => {
    const asAlice = await fetch(`${github.url}/user`, { headers: { authorization: 'token pat' } });
    expect(asAlice.status).toBe(200);
    expect(await asAlice.json()).toMatchObject({ login: 'alice', user_view_type: 'public' });
    // A workflow's GITHUB_TOKEN is an installation token: GitHub refuses it GET /user.
    const asBot = await call('GET', '/user');
    expect(asBot.status).toBe(403);
    expect(await asBot.json()).toMatchObject({ message: 'Resource not accessible by integration' });
    github.setPullRequest('acme', 'opp', 7, 'a'.repeat(40));
    const pull = await call('GET', '/repos/acme/opp/pulls/7');
    expect(pull.status).toBe(200);
    expect(await pull.json()).toMatchObject({ number: 7, head: { sha: 'a'.repeat(40) } });
    expect((await call('GET', '/repos/acme/opp/pulls/8')).status).toBe(404);
    expect(github.violations).toEqual([]);
    const named = await call('GET', '/repos/acme/opp/pulls/latest');
    expect(named.status).toBe(404);
    expect(github.violations).toEqual([
      'GET /repos/acme/opp/pulls/latest: path parameter pull_number: expected an integer',
    ]);
    expect(github.responseViolations).toEqual([]);
  });

  it('sends comments (created, listed, updated) that the description takes', async () => {
    const created = await call('POST', '/repos/acme/opp/issues/7/comments', { body: 'hello' });
    expect(created.status).toBe(201);
    const comment = (await created.json()) as { id: number };
    expect(contract.checkSchema('issue-comment', comment)).toEqual([]);
    const listed = await call('GET', '/repos/acme/opp/issues/7/comments?per_page=10');
    expect(listed.status).toBe(200);
    const updated = await call('PATCH', `/repos/acme/opp/issues/comments/${comment.id}`, { body: 'again' });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ id: comment.id, body: 'again' });
    expect((await call('DELETE', `/repos/acme/opp/issues/comments/${comment.id}`)).status).toBe(204);
    expect(github.violations).toEqual([]);
    expect(github.responseViolations).toEqual([]);
  });
});
