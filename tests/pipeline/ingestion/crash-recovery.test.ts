import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INGEST_STATE_NAME, runIngest } from '../../../pipeline/ingestion/run-ingest.js';
import { readWatermark } from '../../../pipeline/storage/run-state.js';
import { Random } from '../../../pipeline/util/random.js';
import { useAzurite } from '../../support/azurite.js';
import { bundleCli } from '../../support/cli-bundle.js';
import {
  expectTablesMatchSource,
  readTables,
  type SourceFixture,
  startSourceFixture,
} from '../../support/ingest-fixture.js';

/** Kill-and-resume runs; `OPP_SOAK_RUNS` raises it for the soak (`npm run soak:ingest`). */
const RUNS = Number(process.env.OPP_SOAK_RUNS ?? 20);
const RECORDS = 300;
const PAGE_SIZE = 20;

const azurite = useAzurite();
let fixture: SourceFixture;
let cli: string;
let home: string;

beforeAll(async () => {
  fixture = await startSourceFixture(RECORDS, 31, { latencyMs: 2 });
  cli = await bundleCli();
  home = await mkdtemp(join(tmpdir(), 'opp-crash-'));
});
afterAll(async () => {
  await fixture?.stop();
  await rm(home, { recursive: true, force: true });
});

function requestsServed(): number {
  return Object.values(fixture.server.stats).reduce((a, b) => a + b, 0);
}

function childEnv(prefix: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    OPP_HOME: home,
    OPP_STORAGE_CONNECTION_STRING: azurite.instance.connectionString,
    OPP_STORAGE_PREFIX: prefix,
    OPP_INDEX_ENDPOINT: fixture.server.url,
    OPP_INDEX_NAME: 'records',
    OPP_INDEX_API_KEY: fixture.server.apiKey,
    OPP_RECORD_API_URL: fixture.server.recordApiUrl,
    OPP_RECORD_API_KEY: fixture.server.functionsKey,
  };
}

/** Runs `opp ingest --once` in a child and SIGKILLs it once the source served `killAfter` more requests. */
async function ingestAndKill(prefix: string, killAfter: number): Promise<{ killed: boolean }> {
  const env = childEnv(prefix);
  const args = [cli, 'ingest', '--once', '--lag', '0s', '--page-size', String(PAGE_SIZE)];
  args.push('--checkpoint-pages', '1', '--fetch-concurrency', '2', '--write-concurrency', '2', '--json');
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const start = requestsServed();
  let killed = false;
  const poll = setInterval(() => {
    if (requestsServed() - start >= killAfter && child.exitCode === null) {
      killed = child.kill('SIGKILL');
    }
  }, 1);
  const code = await exited;
  clearInterval(poll);
  if (!killed && code !== 0) throw new Error(`ingest child failed (${code}):\n${stderr}`);
  return { killed };
}

describe('ingest killed at random points', () => {
  it(
    `ends with the table equal to the source after ${RUNS} kill-and-rerun cycles`,
    async () => {
      const random = new Random(5);
      // A whole run makes about one index call and one record API call per page.
      const requestsPerRun = 2 * Math.ceil(RECORDS / PAGE_SIZE) + 1;
      let killedMidway = 0;
      for (let run = 0; run < RUNS; run++) {
        const { prefix, clients } = await azurite.freshStorage();
        const { killed } = await ingestAndKill(prefix, 1 + random.int(requestsPerRun));
        if (killed) killedMidway += 1;

        // The watermark is never ahead of stored data: all before it is in the tables.
        const watermark = await readWatermark(clients.state, INGEST_STATE_NAME);
        if (watermark) {
          const { records, quarantine } = await readTables(clients);
          for (const doc of fixture.source.all().filter((d) => d.modified < watermark.getTime())) {
            const stored = doc.recordId ? records.has(doc.recordId) : quarantine.has(doc.indexId);
            expect(stored, `${doc.indexId} modified before the watermark`).toBe(true);
          }
        }
        // Re-run (the dead run's lease is taken over at once), then the table equals the source.
        await runIngest(fixture.clients(clients), { lagMs: 0 });
        await expectTablesMatchSource(clients, fixture);
      }
      expect(killedMidway).toBeGreaterThan(RUNS / 2);
    },
    RUNS * 15_000,
  );
});

describe('two ingest processes at once', () => {
  it('both exit cleanly, one of them skipping or following the other, and the table equals the source', async () => {
    const { prefix, clients } = await azurite.freshStorage();
    const run = () =>
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, [cli, 'ingest', '--once', '--lag', '0s', '--json'], {
          env: childEnv(prefix),
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
        });
        child.once('exit', (code) => resolve({ code, stdout }));
      });
    const results = await Promise.all([run(), run()]);
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    const outputs = results.map(
      (r) => JSON.parse(r.stdout) as { skipped?: boolean; stats?: { listed: number } },
    );
    expect(outputs.filter((o) => o.stats?.listed === RECORDS).length).toBeGreaterThanOrEqual(1);
    await expectTablesMatchSource(clients, fixture);
  });
});
