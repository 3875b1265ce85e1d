import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { assertFiniteModelsIn } from '../../model/bundle/assert-finite-models-in.js';
import { RegistryError } from '../errors/RegistryError.js';
import { AtomicFile } from '../io/AtomicFile.js';
import { withProcessLock } from '../io/process-lock.js';
import { oppPath } from '../util/opp-home.js';
import { assertSafeBundlePath, hashFile, listBundleFiles } from './internal/bundle-files.js';
import { archiveOtherProductions, findProduction } from './internal/production-stage.js';
import {
  checkModelName,
  checkRegistration,
  type ListVersionsOptions,
  type ModelLineage,
  type ModelRegistry,
  type ModelStage,
  type ModelVersion,
  type RegisterVersionOptions,
} from './model-registry.js';
import { createPagedIterable, decodeToken, encodeToken, type PagedAsyncIterable } from './paging.js';

const MANIFEST = 'manifest.json';
/** Stage changes of one model run under this lock (see withProcessLock). */
const STAGE_LOCK = 'stage.lock';
/** How long a stage change waits for another process's (changes take milliseconds). */
const STAGE_LOCK_TIMEOUT_MS = 15_000;
/** Attempts at reserving the next free version number before giving up. */
const MAX_RESERVE_ATTEMPTS = 1000;

const ManifestSchema = z.strictObject({
  name: z.string(),
  version: z.string().regex(/^\d+$/),
  stage: z.enum(['candidate', 'production', 'archived']),
  tags: z.record(z.string(), z.string()),
  lineage: z.strictObject({
    snapshotId: z.string().optional(),
    gitSha: z.string().optional(),
    configHash: z.string().optional(),
    specHash: z.string().optional(),
    metrics: z.record(z.string(), z.number()).optional(),
  }),
  createdAt: z.string(),
  files: z.array(z.strictObject({ path: z.string(), sha256: z.string(), size: z.number() })),
});
type Manifest = z.output<typeof ManifestSchema>;

/**
 * Model registry in a local folder (default `$OPP_HOME/registry/`):
 * `blobs/sha256/<hash>` holds each distinct file once (content-addressed), and
 * `models/<name>/<version>/manifest.json` describes one version. A version number is taken by
 * creating its folder (atomic), so concurrent registrations never collide; manifests are
 * written atomically; stage changes of one model run under a lock.
 */
export class LocalModelRegistry implements ModelRegistry {
  readonly kind = 'local';

  /** @param root - registry folder. Default `$OPP_HOME/registry`. */
  constructor(readonly root: string = oppPath('registry')) {}

  async registerVersion(
    name: string,
    bundleDir: string,
    lineage: ModelLineage,
    options: RegisterVersionOptions = {},
  ): Promise<ModelVersion> {
    checkRegistration(name, options.tags);
    const files = await listBundleFiles(bundleDir);
    await assertFiniteModelsIn(bundleDir);
    for (const file of files) await this.storeBlob(join(bundleDir, ...file.path.split('/')), file.sha256);
    options.abortSignal?.throwIfAborted();
    const version = await this.reserveVersion(name);
    const manifest: Manifest = {
      name,
      version,
      stage: 'candidate',
      tags: { ...options.tags },
      lineage: structuredClone(lineage),
      createdAt: new Date().toISOString(),
      files,
    };
    try {
      await this.writeManifest(manifest);
    } catch (error) {
      await rm(this.versionDir(name, version), { recursive: true, force: true });
      throw error;
    }
    const stage = options.stage ?? 'candidate';
    return stage === 'candidate' ? this.toVersion(manifest) : this.setStage(name, version, stage);
  }

  async getVersion(name: string, version: string): Promise<ModelVersion> {
    return this.toVersion(await this.readManifest(name, version));
  }

  listVersions(name: string, options: ListVersionsOptions = {}): PagedAsyncIterable<ModelVersion> {
    return createPagedIterable(async (token, size) => {
      const after = decodeToken<{ after: number }>(token)?.after ?? 0;
      const numbers = (await this.versionNumbers(name)).filter((n) => n > after);
      const items: ModelVersion[] = [];
      let last = after;
      for (const n of numbers) {
        if (items.length >= size) break;
        last = n;
        const manifest = await this.readManifest(name, String(n)).catch(() => undefined);
        if (manifest && (!options.stage || manifest.stage === options.stage))
          items.push(this.toVersion(manifest));
      }
      const more = numbers.some((n) => n > last);
      return more ? { items, continuationToken: encodeToken({ after: last }) } : { items };
    });
  }

  async setStage(name: string, version: string, stage: ModelStage): Promise<ModelVersion> {
    const lock = join(this.modelDir(name), STAGE_LOCK);
    return withProcessLock(
      lock,
      async () => {
        const manifest = await this.readManifest(name, version);
        if (stage === 'production')
          await archiveOtherProductions(this, name, version, async (other) =>
            this.writeManifest({ ...(await this.readManifest(name, other)), stage: 'archived' }),
          );
        const updated = { ...manifest, stage };
        await this.writeManifest(updated);
        return this.toVersion(updated);
      },
      {
        timeoutMs: STAGE_LOCK_TIMEOUT_MS,
        timedOut: (owner) =>
          new RegistryError(`timed out waiting for lock ${lock} (held by process ${owner})`, name),
      },
    );
  }

  getProduction(name: string): Promise<ModelVersion | undefined> {
    return findProduction(this, name);
  }

  async downloadVersion(name: string, version: string, dir: string): Promise<string> {
    const manifest = await this.readManifest(name, version);
    await mkdir(dir, { recursive: true });
    for (const file of manifest.files) {
      assertSafeBundlePath(file.path);
      const target = join(dir, ...file.path.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await copyFile(this.blobPath(file.sha256), target);
      if ((await hashFile(target)) !== file.sha256) {
        throw new RegistryError(`${name}:${version}: ${file.path} does not match its hash`, name, version);
      }
    }
    return dir;
  }

  private modelDir(name: string): string {
    checkModelName(name);
    return join(this.root, 'models', name);
  }

  private versionDir(name: string, version: string): string {
    if (!/^\d+$/.test(version))
      throw new RegistryError(`bad version "${version}": expected a number`, name, version);
    return join(this.modelDir(name), version);
  }

  private blobPath(sha256: string): string {
    return join(this.root, 'blobs', 'sha256', sha256.slice(0, 2), sha256);
  }

  /** Copies a file into the blob store under its hash, unless it is there already. */
  private async storeBlob(source: string, sha256: string): Promise<void> {
    const target = this.blobPath(sha256);
    if (
      await stat(target).then(
        () => true,
        () => false,
      )
    )
      return;
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
    await copyFile(source, temp);
    // Two registrations of the same content rename the same bytes: last one wins, harmlessly.
    await rename(temp, target);
  }

  /** Takes the next free version number by creating its folder (fails if another took it). */
  private async reserveVersion(name: string): Promise<string> {
    await mkdir(this.modelDir(name), { recursive: true });
    let next = Math.max(0, ...(await this.versionNumbers(name))) + 1;
    for (let attempt = 0; attempt < MAX_RESERVE_ATTEMPTS; attempt++, next++) {
      try {
        await mkdir(this.versionDir(name, String(next)));
        return String(next);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    throw new RegistryError(`could not reserve a version number for ${name}`, name);
  }

  /** Version numbers present (including ones still being written), ascending. */
  private async versionNumbers(name: string): Promise<number[]> {
    const entries = await readdir(this.modelDir(name)).catch(() => [] as string[]);
    return entries
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
      .sort((a, b) => a - b);
  }

  private async readManifest(name: string, version: string): Promise<Manifest> {
    const file = join(this.versionDir(name, version), MANIFEST);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new RegistryError(`model ${name} has no version ${version}`, name, version, { cause: error });
    }
    const parsed = ManifestSchema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new RegistryError(`${file}: corrupt manifest (${parsed.error.message})`, name, version);
    return parsed.data;
  }

  private async writeManifest(manifest: Manifest): Promise<void> {
    const file = join(this.versionDir(manifest.name, manifest.version), MANIFEST);
    await AtomicFile.write(file, `${JSON.stringify(manifest, null, 2)}\n`);
  }

  private toVersion(manifest: Manifest): ModelVersion {
    return { ...manifest, uri: this.versionDir(manifest.name, manifest.version) };
  }
}
