import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageError } from '../errors/StorageError.js';
import { acquireProcessLock, isProcessRunning, releaseProcessLock } from '../io/process-lock.js';
import { type AzuriteInstance, startAzurite } from './azurite.js';

/** Folder under `$OPP_HOME` holding the local Azurite's data. */
export const LOCAL_AZURITE_DIR = 'azurite';
/** Lock under `$OPP_HOME`: the opp process that runs the local Azurite (see process-lock.ts). */
export const LOCAL_AZURITE_LOCK = 'azurite.lock';
/** State file under `$OPP_HOME`: which Azurite runs on the folder, for whom, on which ports. */
export const LOCAL_AZURITE_STATE = 'azurite.json';
/** How long a leftover Azurite may take to save its data and exit after SIGTERM before SIGKILL. */
const LEFTOVER_STOP_MS = 15_000;
const POLL_MS = 50;

/** What {@link LOCAL_AZURITE_STATE} records while an opp process runs the local Azurite. */
export interface LocalAzuriteState {
  azuritePid: number;
  /** The opp process that started it and holds the lock. */
  ownerPid: number;
  location: string;
  tableEndpoint: string;
  blobEndpoint: string;
  startedAt: string;
}

/** The local Azurite, shared by every user in this process; close() when done with it. */
export interface LocalAzurite {
  azurite: AzuriteInstance;
  /** Stops Azurite (SIGTERM, so it saves) after the last user in this process closed it. */
  close(): Promise<void>;
}

/** Azurites this process runs, by `$OPP_HOME`, with their users. */
const running = new Map<string, { started: Promise<AzuriteInstance>; users: number }>();

/**
 * Starts (or shares, within this process) the one Azurite on `$OPP_HOME/azurite`. Two Azurites
 * on one folder would each save their own view of the data over the other's, so: the opp
 * process running it holds `$OPP_HOME/azurite.lock` (a lock of a process that died is taken
 * over) and records the Azurite in `azurite.json`; a run that finds one left by a dead owner
 * stops it with SIGTERM and waits until it saved and exited before starting its own. (Azurite
 * also stops itself when its parent dies: see startAzurite.)
 *
 * @throws StorageError when another running opp process uses the folder's Azurite, or Azurite
 * does not start.
 */
export async function openLocalAzurite(home: string): Promise<LocalAzurite> {
  let entry = running.get(home);
  if (!entry) {
    entry = { started: startOwned(home), users: 0 };
    running.set(home, entry);
    entry.started.catch(() => running.delete(home));
  }
  entry.users += 1;
  const shared = entry;
  const azurite = await shared.started;
  let closed = false;
  return {
    azurite,
    close: async () => {
      if (closed) return;
      closed = true;
      shared.users -= 1;
      if (shared.users > 0) return;
      running.delete(home);
      try {
        await azurite.stop();
      } finally {
        removeFile(join(home, LOCAL_AZURITE_STATE));
        releaseProcessLock(join(home, LOCAL_AZURITE_LOCK));
      }
    },
  };
}

async function startOwned(home: string): Promise<AzuriteInstance> {
  await mkdir(home, { recursive: true });
  const location = join(home, LOCAL_AZURITE_DIR);
  const lock = join(home, LOCAL_AZURITE_LOCK);
  acquireProcessLock(
    lock,
    (owner) =>
      new StorageError(
        `the local Azurite on ${location} is in use by opp process ${owner}: wait for it to finish, or set OPP_STORAGE_CONNECTION_STRING, or give this run another OPP_HOME`,
      ),
  );
  try {
    const statePath = join(home, LOCAL_AZURITE_STATE);
    await stopLeftover(readState(statePath), location);
    const azurite = await startAzurite({ location });
    const state: LocalAzuriteState = {
      azuritePid: azurite.pid,
      ownerPid: process.pid,
      location,
      tableEndpoint: azurite.tableEndpoint,
      blobEndpoint: azurite.blobEndpoint,
      startedAt: new Date().toISOString(),
    };
    writeFileSync(`${statePath}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(`${statePath}.tmp`, statePath);
    return azurite;
  } catch (error) {
    releaseProcessLock(lock);
    throw error;
  }
}

/** Stops an Azurite a dead owner left on `location` (SIGTERM, then SIGKILL after 15 s) and waits for it. */
async function stopLeftover(state: LocalAzuriteState | undefined, location: string): Promise<void> {
  if (!state || state.ownerPid === process.pid || !isAzuriteOn(state.azuritePid, location)) return;
  signal(state.azuritePid, 'SIGTERM');
  const deadline = Date.now() + LEFTOVER_STOP_MS;
  while (isProcessRunning(state.azuritePid)) {
    if (Date.now() > deadline) {
      signal(state.azuritePid, 'SIGKILL');
      break;
    }
    await sleep(POLL_MS);
  }
  while (isProcessRunning(state.azuritePid)) await sleep(POLL_MS);
}

function readState(path: string): LocalAzuriteState | undefined {
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as Partial<LocalAzuriteState>;
    return Number.isInteger(state.azuritePid) && Number.isInteger(state.ownerPid)
      ? (state as LocalAzuriteState)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` runs and is Azurite on `location` (where /proc tells; the id may have been reused
 * by another program since). Without /proc a running process is taken to be it.
 */
function isAzuriteOn(pid: number, location: string): boolean {
  if (!isProcessRunning(pid)) return false;
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return command.some((arg) => arg.includes('azurite')) && command.includes(location);
  } catch {
    return process.platform !== 'linux';
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
