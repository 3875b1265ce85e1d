import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  pullRequestFromEvent,
  repositoryFromEnv,
  runUrlFromEnv,
} from '../../../actions/shared/github-env.js';

const dir = mkdtempSync(join(tmpdir(), 'opp-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function event(payload: unknown): string {
  const file = join(dir, `event-${Math.random()}.json`);
  writeFileSync(file, JSON.stringify(payload));
  return file;
}

describe('github-env', () => {
  it('reads the pull request number from a pull_request event and from a comment on a PR', () => {
    expect(pullRequestFromEvent({ GITHUB_EVENT_PATH: event({ pull_request: { number: 12 } }) })).toBe(12);
    expect(
      pullRequestFromEvent({ GITHUB_EVENT_PATH: event({ issue: { number: 9, pull_request: {} } }) }),
    ).toBe(9);
  });

  it('finds no pull request in a push event, an issue comment or without an event file', () => {
    expect(pullRequestFromEvent({ GITHUB_EVENT_PATH: event({ ref: 'refs/heads/main' }) })).toBeUndefined();
    expect(pullRequestFromEvent({ GITHUB_EVENT_PATH: event({ issue: { number: 9 } }) })).toBeUndefined();
    expect(pullRequestFromEvent({})).toBeUndefined();
  });

  it('splits GITHUB_REPOSITORY and rejects another shape', () => {
    expect(repositoryFromEnv({ GITHUB_REPOSITORY: 'acme/opp' })).toEqual({ owner: 'acme', repo: 'opp' });
    expect(() => repositoryFromEnv({ GITHUB_REPOSITORY: 'acme' })).toThrow(
      'GITHUB_REPOSITORY must be "owner/repo"',
    );
  });

  it('builds the run URL only inside Actions', () => {
    const env = {
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/opp',
      GITHUB_RUN_ID: '5',
    };
    expect(runUrlFromEnv(env)).toBe('https://github.com/acme/opp/actions/runs/5');
    expect(runUrlFromEnv({})).toBeUndefined();
  });
});
