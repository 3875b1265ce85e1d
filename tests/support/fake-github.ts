import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gitHubContract } from './contracts/github.js';
import type { ContractOperation } from './contracts/swagger.js';
import { publicUser, pullRequest, simpleUser } from './fake-github-resources.js';

/**
 * A local stand-in for the parts of GitHub's REST API opp uses: issue comments (list with
 * pagination and Link headers, create, update, delete), the token's user (GET /user) and a pull
 * request's head (GET /repos/{owner}/{repo}/pulls/{n}). Binds 127.0.0.1 on a free port.
 * Tokens map to users; faults can be injected per method and path.
 *
 * Every route is contract-checked against GitHub's published REST description
 * (tests/contracts/github-rest/, an extract of github/rest-api-description): a request the
 * description refuses gets GitHub's answer (422 `Validation Failed`, or 404 for a path parameter
 * that is no such thing) and is recorded in `violations`; a response the fake would send that
 * the description refuses is a bug in the fake: it answers 500 instead, records it in
 * `responseViolations`, and `close()` throws. Error statuses the description leaves out (GitHub
 * sends 403 and 404 to any operation) are checked as its `basic-error`.
 */

export interface FakeComment {
  id: number;
  node_id: string;
  url: string;
  html_url: string;
  issue_url: string;
  body: string;
  user: { login: string; id: number; type: 'Bot' | 'User' } & Record<string, unknown>;
  created_at: string;
  updated_at: string;
  author_association: string;
}

export interface FakeRequest {
  method: string;
  path: string;
  status: number;
}

export interface Fault {
  method: string;
  /** Matches the request path (without the query). */
  path: RegExp;
  status: number;
  /** How many matching requests fail. @default 1 */
  times?: number;
  /** Store the change anyway before failing (a create whose answer was lost). @default false */
  applyFirst?: boolean;
}

export interface FakeGitHub {
  url: string;
  /** All comments, by issue key `owner/repo#n`, in creation order. */
  comments(owner: string, repo: string, issue: number): FakeComment[];
  /** Adds a comment as if `login` had written it. */
  addComment(owner: string, repo: string, issue: number, body: string, login: string): FakeComment;
  /** Every request served, in order. */
  requests: FakeRequest[];
  /** Requests the contract refused (answered as GitHub would: 422 or 404). */
  violations: string[];
  /** Responses the fake would have sent that its own contract refuses (a bug in the fake). */
  responseViolations: string[];
  inject(fault: Fault): void;
  /** Makes `GET /repos/{owner}/{repo}/pulls/{n}` answer with this head commit. */
  setPullRequest(owner: string, repo: string, issue: number, headSha: string): void;
  close(): Promise<void>;
}

export interface FakeGitHubOptions {
  /**
   * Token → login; requests with another token get 401. Logins ending in `[bot]` act as
   * installation tokens (GET /user answers 403). @default { 'test-token': 'github-actions[bot]' }
   */
  tokens?: Record<string, string>;
  /** Default page size of list calls (GitHub's is 30; max 100). @default 30 */
  defaultPerPage?: number;
}

const MAX_PER_PAGE = 100;
const DOCS = 'https://docs.github.com/rest';

/**
 * A response against the description; an error status it leaves out is checked as its
 * `basic-error` (GitHub answers 403/404 with one to any operation).
 */
function checkResponse(op: ContractOperation, status: number, body: unknown): string[] {
  const contract = gitHubContract();
  const documented = String(status) in (op.op.responses as Record<string, unknown>);
  if (!documented && status >= 400) return contract.checkSchema('basic-error', body);
  return contract.checkResponse(op, status, body);
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const tokens = options.tokens ?? { 'test-token': 'github-actions[bot]' };
  const defaultPerPage = options.defaultPerPage ?? 30;
  const byIssue = new Map<string, FakeComment[]>();
  const byId = new Map<number, { key: string; comment: FakeComment }>();
  const faults: (Fault & { left: number })[] = [];
  const requests: FakeRequest[] = [];
  const violations: string[] = [];
  const responseViolations: string[] = [];
  const contract = gitHubContract();
  const pulls = new Map<string, string>();
  let nextId = 1000;
  let clock = Date.parse('2026-11-25T09:00:00Z');
  let base = '';
  const tick = () => {
    clock += 1000;
    return new Date(clock).toISOString();
  };

  const add = (key: string, owner: string, repo: string, issue: number, body: string, login: string) => {
    const id = nextId++;
    const time = tick();
    const comment: FakeComment = {
      id,
      node_id: `IC_${id}`,
      url: `${base}/repos/${owner}/${repo}/issues/comments/${id}`,
      html_url: `https://github.test/${owner}/${repo}/pull/${issue}#issuecomment-${id}`,
      issue_url: `${base}/repos/${owner}/${repo}/issues/${issue}`,
      body,
      user: simpleUser(base, login),
      created_at: time,
      updated_at: time,
      author_association: 'NONE',
    };
    const list = byIssue.get(key) ?? [];
    list.push(comment);
    byIssue.set(key, list);
    byId.set(id, { key, comment });
    return comment;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    let answering: ContractOperation | undefined;
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      const problems = answering ? checkResponse(answering, status, body) : [];
      if (problems.length > 0) {
        responseViolations.push(...problems);
        requests.push({ method, path: url.pathname, status: 500 });
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ message: `fake contract error: ${problems.join('; ')}` }));
        return;
      }
      requests.push({ method, path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const text = await readBody(req);
    const auth = req.headers.authorization ?? '';
    const login = tokens[auth.replace(/^(token|bearer)\s+/i, '')];
    if (!login)
      return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });

    const fault = faults.find((f) => f.left > 0 && f.method === method && f.path.test(url.pathname));
    if (fault && !fault.applyFirst) {
      fault.left--;
      return send(fault.status, { message: `injected ${fault.status}` });
    }

    const op = contract.match(method, url.pathname);
    if (op) {
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        return send(400, { message: 'Problems parsing JSON', documentation_url: DOCS });
      }
      const refusal = contract.checkOperation(op, url.searchParams, body);
      if (refusal) {
        violations.push(`${method} ${url.pathname}: ${refusal.errors.join('; ')}`);
        answering = op;
        return refusal.status === 404
          ? send(404, { message: 'Not Found', documentation_url: DOCS, status: '404' })
          : send(422, {
              message: 'Validation Failed',
              errors: refusal.errors.map((message) => ({
                resource: 'IssueComment',
                code: 'invalid',
                message,
              })),
              documentation_url: `${DOCS}/issues/comments`,
            });
      }
      // Injected faults (applyFirst) answer statuses outside the description on purpose.
      if (!fault) answering = op;
    }

    if (url.pathname === '/user' && method === 'GET') {
      // GitHub refuses GET /user to installation tokens such as a workflow's GITHUB_TOKEN.
      if (login.endsWith('[bot]')) return send(403, { message: 'Resource not accessible by integration' });
      return send(200, publicUser(base, login));
    }
    const pull = /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/.exec(url.pathname);
    if (pull && method === 'GET') {
      const head = pulls.get(`${pull[1]}/${pull[2]}#${pull[3]}`);
      return head
        ? send(200, pullRequest(base, pull[1]!, pull[2]!, Number(pull[3]), head))
        : send(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
    }
    const list = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(url.pathname);
    const one = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(url.pathname);
    if (list) {
      const [, owner, repo, issue] = list as unknown as [string, string, string, string];
      const key = `${owner}/${repo}#${issue}`;
      if (method === 'GET') {
        const perPage = Math.min(MAX_PER_PAGE, Number(url.searchParams.get('per_page') ?? defaultPerPage));
        const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
        const all = byIssue.get(key) ?? [];
        const last = Math.max(1, Math.ceil(all.length / perPage));
        const link = (p: number, rel: string) => {
          const target = new URL(url);
          target.searchParams.set('page', String(p));
          target.searchParams.set('per_page', String(perPage));
          return `<${target.toString()}>; rel="${rel}"`;
        };
        const links: string[] = [];
        if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
        if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
        return send(
          200,
          all.slice((page - 1) * perPage, page * perPage),
          links.length ? { link: links.join(', ') } : {},
        );
      }
      if (method === 'POST') {
        const { body } = JSON.parse(text) as { body: string };
        const created = add(key, owner, repo, Number(issue), body, login);
        if (fault) {
          fault.left--;
          return send(fault.status, { message: `injected ${fault.status} after storing` });
        }
        return send(201, created);
      }
    }
    if (one) {
      const found = byId.get(Number(one[3]));
      if (!found) return send(404, { message: 'Not Found' });
      if (method === 'PATCH') {
        const { body } = JSON.parse(text) as { body: string };
        if (found.comment.user.login !== login)
          return send(403, { message: 'Resource not accessible by integration' });
        found.comment.body = body;
        found.comment.updated_at = tick();
        return send(200, found.comment);
      }
      if (method === 'DELETE') {
        if (found.comment.user.login !== login)
          return send(403, { message: 'Resource not accessible by integration' });
        byId.delete(found.comment.id);
        const comments = byIssue.get(found.key) ?? [];
        byIssue.set(
          found.key,
          comments.filter((c) => c.id !== found.comment.id),
        );
        return send(204);
      }
    }
    return send(404, { message: 'Not Found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    comments: (owner, repo, issue) => [...(byIssue.get(`${owner}/${repo}#${issue}`) ?? [])],
    addComment: (owner, repo, issue, body, login) =>
      add(`${owner}/${repo}#${issue}`, owner, repo, issue, body, login),
    requests,
    violations,
    responseViolations,
    inject: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
    setPullRequest: (owner, repo, issue, headSha) => pulls.set(`${owner}/${repo}#${issue}`, headSha),
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
      if (responseViolations.length > 0)
        throw new Error(`the fake sent responses its contract refuses: ${responseViolations.join(' | ')}`);
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
