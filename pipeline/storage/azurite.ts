import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { StorageError } from '../errors/StorageError.js';

/** Azurite's fixed development account (public, documented; not a secret). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** How long to wait for Azurite to listen before giving up. */
const READY_TIMEOUT_MS = 30_000;
/** How long a SIGTERM may take (Azurite flushes its data to disk) before SIGKILL. */
const STOP_TIMEOUT_MS = 15_000;
/**
 * Loaded into Azurite's process before Azurite itself (`node --import`): Azurite's stdin is a pipe
 * from the process that started it, which the kernel closes when that process dies, even by
 * SIGKILL. Then Azurite stops itself with SIGTERM, its own clean shutdown that saves its data, so
 * no orphan outlives its parent to save stale data over a later Azurite's. A SIGTERM also closes
 * stdin (so Azurite's shutdown can end the process); one that comes before Azurite listens for it
 * (still starting: nothing to save) exits at once, and later ones are ignored rather than killing
 * Azurite in the middle of its save. Output errors (the parent is gone) are ignored.
 */
const PARENT_WATCH = `
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
const stopSelf = () => process.kill(process.pid, 'SIGTERM');
process.stdin.on('end', stopSelf);
process.stdin.on('error', stopSelf);
process.stdin.resume();
let stopping = false;
const onSignal = (name) => {
  process.stdin.destroy();
  if (stopping) return;
  if (process.listenerCount(name) < 2) process.exit(0);
  stopping = true;
};
process.on('SIGTERM', () => onSignal('SIGTERM'));
process.on('SIGINT', () => onSignal('SIGINT'));
`;
const LISTENING = /Azurite (Blob|Table) service is successfully listening at (http:\/\/[^\s]+)/;

export interface StartAzuriteOptions {
  /** Folder for Azurite's data (and its debug files); created if missing. */
  location: string;
  /** Keep data in memory only (tests that need no persistence). Default false. */
  inMemory?: boolean;
  /** Ignore request headers Azurite does not support instead of failing (`--loose`). Default false. */
  loose?: boolean;
  /** Extra Node.js flags for Azurite's process (benchmarks: e.g. `--cpu-prof`). Default none. */
  nodeArgs?: string[];
}

/** A running Azurite child process. */
export interface AzuriteInstance {
  /** Connection string for @azure/data-tables and @azure/storage-blob. */
  readonly connectionString: string;
  readonly tableEndpoint: string;
  readonly blobEndpoint: string;
  readonly pid: number;
  /** Stops Azurite with SIGTERM so it persists its data (SIGKILL after 15 s). */
  stop(): Promise<void>;
}

/** Builds the devstoreaccount1 connection string for Azurite endpoints (`http://host:port`). */
export function azuriteConnectionString(endpoints: { table: string; blob: string }): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT}`,
    `AccountKey=${DEV_KEY}`,
    `BlobEndpoint=${endpoints.blob}/${DEV_ACCOUNT}`,
    `TableEndpoint=${endpoints.table}/${DEV_ACCOUNT}`,
  ].join(';');
}

/**
 * Starts Azurite (table + blob services) as a child process on 127.0.0.1 with ports chosen by
 * the OS, and resolves once both services listen. Azurite stops itself (SIGTERM, saving its data)
 * when this process dies, however it dies. One Azurite per data folder: opp's own folder goes
 * through `openLocalAzurite` (local-azurite.ts), which makes sure of it.
 *
 * @throws StorageError when Azurite exits or does not listen within 30 s.
 */
export async function startAzurite(options: StartAzuriteOptions): Promise<AzuriteInstance> {
  await mkdir(options.location, { recursive: true });
  const require = createRequire(import.meta.url);
  const main = join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
  const args = [
    ...(options.nodeArgs ?? []),
    '--import',
    `data:text/javascript,${encodeURIComponent(PARENT_WATCH)}`,
    main,
    // Azurite refuses --location together with in-memory persistence.
    ...(options.inMemory ? ['--inMemoryPersistence'] : ['--location', options.location]),
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    '0',
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    '0',
    '--queueHost',
    '127.0.0.1',
    '--queuePort',
    '0',
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--silent',
    ...(options.loose ? ['--loose'] : []),
  ];
  // stdin: the pipe Azurite watches to learn that this process died (see PARENT_WATCH).
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const endpoints = await waitUntilListening(child);
  return {
    connectionString: azuriteConnectionString(endpoints),
    tableEndpoint: `${endpoints.table}/${DEV_ACCOUNT}`,
    blobEndpoint: `${endpoints.blob}/${DEV_ACCOUNT}`,
    pid: child.pid!,
    stop: () => stopChild(child),
  };
}

function waitUntilListening(child: ChildProcess): Promise<{ table: string; blob: string }> {
  return new Promise((resolve, reject) => {
    const found: { table?: string; blob?: string } = {};
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new StorageError(`Azurite did not start within ${READY_TIMEOUT_MS / 1000} s:\n${output}`));
    }, READY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        const match = LISTENING.exec(line);
        if (match) found[match[1] === 'Blob' ? 'blob' : 'table'] = match[2]!;
      }
      if (found.table && found.blob) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining output so a full pipe never blocks Azurite.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve({ table: found.table, blob: found.blob });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new StorageError(`Azurite exited before it was ready (code ${code}, signal ${signal}):\n${output}`),
      );
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
