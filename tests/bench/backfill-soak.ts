/**
 * `npm run soak:backfill`: how much of a backfill survives a kill at a random moment. Runs
 * `opp backfill` (the CLI, bundled from source) as a child process against a sample source of
 * `--records` records and a fresh in-memory Azurite per run: first once to the end (its time
 * bounds the kill moments; its batch fill is printed), then `--kills` times SIGKILLed at a
 * moment drawn uniformly from [0, that time) (seeded), counting the windows the state table
 * records as done after each kill. Only our process is killed, never Azurite (see FACTS.md).
 *
 * Options: --records N (default 100,000), --kills N (default 9), --seed N (default 1),
 * --window DURATION (default 30d: 62 windows over 2021-01-01 … 2026-02-01), --max-minutes N
 * (default 12: stops drawing kills after that), plus any `-- --extra-flag value` passed to the
 * backfill through --backfill-args "…"; --cli FILE runs that `opp` bundle instead of bundling the
 * source (e.g. one built from another commit, to compare). Prints one JSON document on stdout, progress on stderr.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from '../../model/metrics/summary.js';
import { SampleSource } from '../../pipeline/sources/SampleSource.js';
import { startSampleSourceServer } from '../../pipeline/sources/sample-source-server.js';
import { startAzurite } from '../../pipeline/storage/azurite.js';
import { listDoneWindows } from '../../pipeline/storage/run-state.js';
import { createStorageClients } from '../../pipeline/storage/storage-clients.js';
import { Random } from '../../pipeline/util/random.js';
import { bundleCli } from '../support/cli-bundle.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    kills: { type: 'string', default: '9' },
    seed: { type: 'string', default: '1' },
    window: { type: 'string', default: '30d' },
    'max-minutes': { type: 'string', default: '12' },
    'backfill-args': { type: 'string', default: '' },
    cli: { type: 'string' },
  },
});
const RECORDS = Number(values.records);
const KILLS = Number(values.kills);
const MAX_MS = Number(values['max-minutes']) * 60_000;
const FROM = '2021-01-01';
const TO = '2026-02-01';
const note = (line: string) => process.stderr.write(`${line}\n`);

const cli = values.cli ?? (await bundleCli());

note(`generating ${RECORDS} sample records…`);
const server = await startSampleSourceServer(SampleSource.fromSample({ n: RECORDS, seed: 1 }));
const home = await mkdtemp(join(tmpdir(), 'opp-soak-'));

interface BackfillJson {
  windows: number;
  stats: { listed: number };
  writes: { rows: number; transactions: number };
  seconds: number;
}

/** One backfill on a fresh in-memory Azurite, killed after `killAfterMs` (never if undefined). */
async function backfill(killAfterMs: number | undefined) {
  const azurite = await startAzurite({ location: join(home, 'azurite'), inMemory: true });
  try {
    const env = {
      ...process.env,
      OPP_HOME: home,
      OPP_STORAGE_CONNECTION_STRING: azurite.connectionString,
      OPP_INDEX_ENDPOINT: server.url,
      OPP_INDEX_NAME: 'records',
      OPP_INDEX_API_KEY: server.apiKey,
      OPP_RECORD_API_URL: server.recordApiUrl,
      OPP_RECORD_API_KEY: server.functionsKey,
    };
    const args = [cli, 'backfill', '--from', FROM, '--to', TO, '--window', values.window!, '--json'];
    args.push(...values['backfill-args']!.split(' ').filter(Boolean));
    const started = performance.now();
    const child: ChildProcess = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    const code = await exited;
    clearTimeout(timer);
    const seconds = (performance.now() - started) / 1000;
    const state = createStorageClients(azurite.connectionString).state;
    const done = (await listDoneWindows(state)).size;
    if (code === 0) return { finished: true, seconds, done, result: JSON.parse(stdout) as BackfillJson };
    if (code !== null) throw new Error(`backfill failed (${code}):\n${stderr}`);
    return { finished: false, seconds, done };
  } finally {
    await azurite.stop();
  }
}

const begun = performance.now();
const full = await backfill(undefined);
if (!full.result) throw new Error('the full run did not finish');
const windows = full.result.windows;
note(
  `full run: ${windows} windows, ${full.result.stats.listed} records in ${full.seconds.toFixed(1)} s, ${(full.result.writes.rows / full.result.writes.transactions).toFixed(1)} rows per transaction`,
);
const random = new Random(Number(values.seed));
const kills: { killAtSeconds: number; windowsDone: number; share: number; finished: boolean }[] = [];
for (let i = 0; i < KILLS && performance.now() - begun < MAX_MS; i++) {
  const killAt = random.uniform(0, full.seconds * 1000);
  const run = await backfill(killAt);
  const kill = {
    killAtSeconds: Math.round(killAt) / 1000,
    windowsDone: run.done,
    share: run.done / windows,
    finished: run.finished,
  };
  kills.push(kill);
  note(`  kill ${i + 1}: at ${kill.killAtSeconds.toFixed(1)} s, ${run.done}/${windows} windows done`);
}
await server.stop();
await rm(home, { recursive: true, force: true });

/** The median of `values` (NaN when empty). */
const meanKillAt = kills.reduce((a, k) => a + k.killAtSeconds, 0) / Math.max(kills.length, 1);
console.log(
  JSON.stringify(
    {
      when: new Date().toISOString(),
      load1: Math.round(loadavg()[0]! * 100) / 100,
      records: full.result.stats.listed,
      windows,
      fullRun: {
        seconds: Math.round(full.seconds * 10) / 10,
        rowsPerTransaction: Math.round((full.result.writes.rows / full.result.writes.transactions) * 10) / 10,
        transactions: full.result.writes.transactions,
      },
      kills,
      meanKillAtSeconds: Math.round(meanKillAt * 10) / 10,
      medianShareKept: Math.round(median(kills.map((k) => k.share)) * 1000) / 1000,
      // Only the runs the kill stopped: a run may finish before its kill moment when it runs faster than the first.
      medianShareKeptMidRun:
        Math.round(median(kills.filter((k) => !k.finished).map((k) => k.share)) * 1000) / 1000,
    },
    null,
    2,
  ),
);
