import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { RegistryError } from '../../errors/RegistryError.js';
import type { BundleFile } from '../model-registry.js';

/** The file every bundle must hold (schema: model/metrics-report.ts). */
export const METRICS_FILE = 'metrics.json';

/** Lists a bundle's regular files (recursively, sorted) with their SHA-256 and size. */
export async function listBundleFiles(bundleDir: string): Promise<BundleFile[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(bundleDir);
  } catch (error) {
    throw new RegistryError(`bundle folder ${bundleDir} does not exist`, undefined, undefined, {
      cause: error,
    });
  }
  if (!info.isDirectory()) throw new RegistryError(`bundle ${bundleDir} is not a folder`);
  const entries = await readdir(bundleDir, { recursive: true, withFileTypes: true });
  const paths = entries
    .filter((e) => e.isFile())
    .map((e) => relative(bundleDir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
  if (!paths.includes(METRICS_FILE)) {
    throw new RegistryError(`bundle ${bundleDir} has no ${METRICS_FILE}: is it a training output folder?`);
  }
  const files: BundleFile[] = [];
  for (const path of paths) {
    const full = join(bundleDir, ...path.split('/'));
    files.push({ path, sha256: await hashFile(full), size: (await stat(full)).size });
  }
  return files;
}

/** Lower-case hex SHA-256 of a file, streamed. */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Rejects bundle paths that would escape the target folder on download. */
export function assertSafeBundlePath(path: string): void {
  if (path.startsWith('/') || path.split('/').some((part) => part === '..' || part === '')) {
    throw new RegistryError(`unsafe path in bundle manifest: ${JSON.stringify(path)}`);
  }
}
