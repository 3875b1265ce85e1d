import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { StorageSharedKeyCredential } from '@azure/storage-blob';

/**
 * Minimal Azurite (blob only) launcher for tests: 127.0.0.1, a free port, data in a temp
 * folder, stopped with SIGTERM. (A shared launcher is being written in
 * pipeline/storage/azurite.ts on another branch; this one can be replaced by it.)
 */

/** Azurite's well-known development account. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteBlob {
  /** Blob service URL, e.g. http://127.0.0.1:12345/devstoreaccount1 */
  url: string;
  credential: StorageSharedKeyCredential;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;

export async function startAzuriteBlob(): Promise<AzuriteBlob> {
  const location = await mkdtemp(join(tmpdir(), 'opp-azurite-'));
  const pkg = createRequire(import.meta.url).resolve('azurite/package.json');
  const bin = join(dirname(pkg), 'dist', 'src', 'blob', 'main.js');
  const child = spawn(
    process.execPath,
    [
      bin,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--location',
      location,
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--loose',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await waitForPort(child);
  return {
    url: `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`,
    credential: new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(location, { recursive: true, force: true });
    },
  };
}

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`azurite-blob did not start in time:\n${output}`));
    }, READY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`azurite-blob exited with ${code}:\n${output}`));
    });
  });
}
