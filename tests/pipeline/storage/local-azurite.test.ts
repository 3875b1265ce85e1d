import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TableClient } from '@azure/data-tables';
import { afterEach, describe, expect, it } from 'vitest';
import { isStorageError } from '../../../pipeline/errors/StorageError.js';
import { isProcessRunning } from '../../../pipeline/io/process-lock.js';
import { startAzurite } from '../../../pipeline/storage/azurite.js';
import {
  LOCAL_AZURITE_LOCK,
  LOCAL_AZURITE_STATE,
  type LocalAzuriteState,
} from '../../../pipeline/storage/local-azurite.js';
import { resolveStorage } from '../../../pipeline/storage/resolve-storage.js';
import { bundleCli } from '../../support/cli-bundle.js';

/** How long an orphaned Azurite may take to save and exit before the test calls it left running. */
const EXIT_DEADLINE_MS = 20_000;

const homes: string[] = [];
async function freshHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'opp-local-azurite-'));
  homes.push(home);
  return home;
}
afterEach(async () => {
  // Whatever a failing test left running on its folders is stopped (SIGTERM), then the folders go.
  for (const home of homes.splice(0)) {
    for (const pid of azuritesOn(join(home, 'azurite'))) process.kill(pid, 'SIGTERM');
    await waitUntil(() => azuritesOn(join(home, 'azurite')).length === 0, EXIT_DEADLINE_MS);
    await rm(home, { recursive: true, force: true });
  }
});

/** Ids of the running Azurites started with `--location location` (read from /proc). */
function azuritesOn(location: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      const state = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state !== 'Z' && args.some((a) => a.endsWith('azurite.js')) && args.includes(location))
        pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** `opp backfill` with no connection string: storage is the local Azurite under `home`. */
function backfill(cli: string, home: string): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, OPP_HOME: home };
  for (const name of Object.keys(env)) if (name.startsWith('OPP_') && name !== 'OPP_HOME') delete env[name];
  const args = [cli, 'backfill', '--from', '2020-01-01', '--to', '2027-01-01', '--window', '180d'];
  args.push('--sample-records', '2000', '--json');
  return spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('the local Azurite of an OPP_HOME', () => {
  it('exits when the opp backfill that started it is SIGKILLed, and the next run leaves none behind', async () => {
    const cli = await bundleCli();
    const home = await freshHome();
    const location = join(home, 'azurite');
    const first = backfill(cli, home);
    const firstExit = exitOf(first);
    let stderr = '';
    first.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // Killed mid-run, as soon as its Azurite serves.
    expect(await waitUntil(() => /started Azurite \(pid \d+\)/.test(stderr), 60_000), stderr).toBe(true);
    const orphan = Number(/started Azurite \(pid (\d+)\)/.exec(stderr)![1]);
    first.kill('SIGKILL');
    await firstExit;
    expect(
      await waitUntil(() => !isProcessRunning(orphan), EXIT_DEADLINE_MS),
      'Azurite outlived its opp process',
    ).toBe(true);

    const second = backfill(cli, home);
    let stdout = '';
    second.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const seen = new Set<number>();
    let most = 0;
    const watch = setInterval(() => {
      const pids = azuritesOn(location);
      for (const pid of pids) seen.add(pid);
      most = Math.max(most, pids.length);
    }, 20);
    const code = await exitOf(second);
    clearInterval(watch);
    expect(code, stdout).toBe(0);
    expect((JSON.parse(stdout) as { stats: { listed: number } }).stats.listed).toBe(2000);
    expect(most).toBeLessThanOrEqual(1);
    expect(seen.has(orphan)).toBe(false);
    expect(azuritesOn(location)).toEqual([]);
    expect(existsSync(join(home, LOCAL_AZURITE_LOCK))).toBe(false);
    expect(existsSync(join(home, LOCAL_AZURITE_STATE))).toBe(false);
  }, 120_000);

  it('stops an Azurite a dead opp process left on the folder (SIGTERM, so it saves) before starting its own', async () => {
    const home = await freshHome();
    const location = join(home, 'azurite');
    // A dead owner: a process that ran and exited.
    const dead = spawn(process.execPath, ['-e', '']);
    await exitOf(dead);
    const leftover = await startAzurite({ location });
    const table = (connectionString: string) =>
      TableClient.fromConnectionString(connectionString, 'kept', { allowInsecureConnection: true });
    await table(leftover.connectionString).createTable();
    await table(leftover.connectionString).upsertEntity({ partitionKey: 'p', rowKey: 'old', value: 1 });
    writeFileSync(join(home, LOCAL_AZURITE_LOCK), String(dead.pid));
    const state: LocalAzuriteState = {
      azuritePid: leftover.pid,
      ownerPid: dead.pid!,
      location,
      tableEndpoint: leftover.tableEndpoint,
      blobEndpoint: leftover.blobEndpoint,
      startedAt: new Date().toISOString(),
    };
    writeFileSync(join(home, LOCAL_AZURITE_STATE), JSON.stringify(state));

    const target = await resolveStorage({ env: { OPP_HOME: home } });
    try {
      expect(isProcessRunning(leftover.pid)).toBe(false);
      expect(azuritesOn(location)).toEqual([target.azurite!.pid]);
      // What the leftover stored was saved, not lost to a kill nor overwritten later.
      expect((await table(target.connectionString).getEntity<{ value: number }>('p', 'old')).value).toBe(1);
    } finally {
      await target.close();
    }
  }, 60_000);

  it('is refused, naming the owner, while another live opp process runs it', async () => {
    const home = await freshHome();
    const owner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(join(home, LOCAL_AZURITE_LOCK), String(owner.pid));
      const error = await resolveStorage({ env: { OPP_HOME: home } }).catch((e: unknown) => e);
      expect(isStorageError(error)).toBe(true);
      expect((error as Error).message).toContain(`in use by opp process ${owner.pid}`);
      expect(azuritesOn(join(home, 'azurite'))).toEqual([]);
    } finally {
      owner.kill();
    }
  });
});
