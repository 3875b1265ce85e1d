import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../pipeline/cli/opp.js';
import { useAzurite } from '../../support/azurite.js';
import { type SourceFixture, SPEC, startSourceFixture } from '../../support/ingest-fixture.js';

const azurite = useAzurite();
let fixture: SourceFixture;
let dir: string;
const saved = { ...process.env };

beforeAll(async () => {
  fixture = await startSourceFixture(200, 41);
  dir = await mkdtemp(join(tmpdir(), 'opp-cli-'));
});
afterAll(async () => {
  process.env = saved;
  await fixture?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('opp ingest, backfill and snapshot', () => {
  it('backfills, snapshots, and downloads the snapshot by id', async () => {
    const { prefix } = await azurite.freshStorage();
    Object.assign(process.env, {
      OPP_HOME: dir,
      OPP_STORAGE_CONNECTION_STRING: azurite.instance.connectionString,
      OPP_STORAGE_PREFIX: prefix,
      OPP_INDEX_ENDPOINT: fixture.server.url,
      OPP_INDEX_API_KEY: fixture.server.apiKey,
      OPP_RECORD_API_URL: fixture.server.recordApiUrl,
      OPP_RECORD_API_KEY: fixture.server.functionsKey,
    });
    const backfill = await run([
      'backfill',
      '--from',
      '2020-01-01',
      '--to',
      '2027-01-01',
      '--window',
      '90d',
      '--concurrency',
      '2',
      '--json',
    ]);
    expect(backfill.code, backfill.stderr).toBe(0);
    expect(JSON.parse(backfill.stdout).stats.listed).toBe(200);

    const ingest = await run(['ingest', '--once', '--json']);
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(JSON.parse(ingest.stdout).watermark).toMatch(/^\d{4}-/);

    const snapshot = await run(['snapshot', '--json']);
    expect(snapshot.code, snapshot.stderr).toBe(0);
    const { snapshotId, rows } = JSON.parse(snapshot.stdout) as { snapshotId: string; rows: number };
    const out = join(dir, 'train.csv');
    const get = await run(['snapshot', '--get', snapshotId, '--out', out, '--json']);
    expect(get.code, get.stderr).toBe(0);
    const csv = await readFile(out, 'utf8');
    expect(csv.split('\n')[0]).toBe(
      ['record_id', 'division', 'action_taken', ...SPEC.featureNames].join(','),
    );
    expect(csv.trimEnd().split('\n')).toHaveLength(rows + 1);
  });

  it('rejects a malformed duration as bad usage', async () => {
    const result = await run(['ingest', '--watch', '--interval', 'soon']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/expected a duration/);
  });

  it('keeps ingesting with --watch until SIGTERM, one JSON result per run', async () => {
    const { prefix } = await azurite.freshStorage();
    process.env.OPP_STORAGE_PREFIX = prefix;
    const listening = process.listenerCount('SIGTERM');
    const searched = fixture.server.stats.searched ?? 0;
    const watching = run(['ingest', '--watch', '--interval', '20ms', '--json']);
    await vi.waitFor(
      () => {
        expect(process.listenerCount('SIGTERM')).toBeGreaterThan(listening);
        // Each run searches the index at least once: wait for a third run to start.
        expect((fixture.server.stats.searched ?? 0) - searched).toBeGreaterThanOrEqual(3);
      },
      { timeout: 20_000 },
    );
    process.emit('SIGTERM');
    const result = await watching;
    expect(result.code, result.stderr).toBe(0);
    const runs = result.stdout.split(/\n(?=\{)/).map((text) => JSON.parse(text) as { watermark: string });
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const r of runs) expect(r.watermark).toMatch(/^\d{4}-/);
  });

  it('serves the sample source until SIGTERM, printing the env for opp ingest', async () => {
    const listening = process.listenerCount('SIGTERM');
    const serving = run(['source', '--n', '50', '--json']);
    await vi.waitFor(() => expect(process.listenerCount('SIGTERM')).toBeGreaterThan(listening), {
      timeout: 20_000,
    });
    process.emit('SIGTERM');
    const result = await serving;
    expect(result.code, result.stderr).toBe(0);
    const { env } = JSON.parse(result.stdout) as { env: Record<string, string> };
    expect(env.OPP_INDEX_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
