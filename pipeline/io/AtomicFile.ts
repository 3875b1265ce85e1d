import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

const FLUSH_BYTES = 1 << 20;

/**
 * A file written under a temporary name and renamed into place by {@link AtomicFile.commit}:
 * readers never see half a file, and a failed run leaves no partial output behind.
 */
export class AtomicFile {
  private pending: string[] = [];
  private pendingBytes = 0;

  private constructor(
    readonly path: string,
    private readonly tempPath: string,
    private readonly handle: FileHandle,
  ) {}

  /** Creates the temporary file next to `path` (making its folder if needed). */
  static async create(path: string): Promise<AtomicFile> {
    await mkdir(dirname(path), { recursive: true });
    const tempPath = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    return new AtomicFile(path, tempPath, await open(tempPath, 'wx'));
  }

  /** Writes `path` atomically in one call. */
  static async write(path: string, text: string): Promise<void> {
    const file = await AtomicFile.create(path);
    try {
      await file.write(text);
      await file.commit();
    } catch (error) {
      await file.abort();
      throw error;
    }
  }

  /** Appends text; buffered, flushed in 1 MiB chunks. */
  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  /** Flushes, syncs and renames the file into place. */
  async commit(): Promise<void> {
    await this.flush();
    await this.handle.sync();
    await this.handle.close();
    await rename(this.tempPath, this.path);
  }

  /** Discards the temporary file; safe to call after a failure at any point. */
  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.write(chunk);
  }
}
