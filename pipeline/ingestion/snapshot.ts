import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { StorageError } from '../errors/StorageError.js';
import type { CompiledFeatureSpec, MlRow } from '../features/compile-spec.js';
import { featuresCsvHeader, featuresCsvLine } from '../features/features-csv.js';
import { listStoredRecords } from '../storage/record-rows.js';
import { ensureStorage, type StorageClients } from '../storage/storage-clients.js';
import { HTTP_NOT_FOUND, restStatus, toStorageError } from '../storage/storage-errors.js';

/** A snapshot id: the SHA-256 (hex) of the snapshot's CSV bytes. */
const SNAPSHOT_ID = /^[0-9a-f]{64}$/;

export interface SnapshotResult {
  /** SHA-256 of the CSV: the blob's name (without `.csv`) and what training asks for. */
  snapshotId: string;
  blobName: string;
  rows: number;
  positives: number;
  specHash: string;
  features: readonly string[];
  bytes: number;
  /** Rows stored under another spec and recomputed from their raw payload. */
  recomputed: number;
  /** False when an identical snapshot already existed (same id). */
  created: boolean;
}

/** The blob name of a snapshot id. */
export function snapshotBlobName(snapshotId: string): string {
  return `${snapshotId}.csv`;
}

/**
 * Exports the ML-ready rows (status `kept`) as a features CSV (record_id, division,
 * action_taken, features; sorted by record id so equal data gives an equal id) to a blob named
 * by the CSV's SHA-256, with the feature spec's hash in the blob's metadata. Rows stored under
 * another spec are recomputed from their raw payload with `spec`.
 */
export async function createSnapshot(
  storage: StorageClients,
  spec: CompiledFeatureSpec,
): Promise<SnapshotResult> {
  await ensureStorage(storage);
  const rows: MlRow[] = [];
  let recomputed = 0;
  for await (const stored of listStoredRecords(storage.records, { status: 'kept' })) {
    if (stored.specHash === spec.hash && stored.features && stored.label !== undefined) {
      rows.push({
        recordId: stored.recordId,
        division: stored.division ?? 0,
        label: stored.label,
        features: Float64Array.from(stored.features),
      });
      continue;
    }
    if (stored.rawTruncated) continue;
    const result = spec.extract(JSON.parse(stored.raw));
    if (result.status === 'kept') {
      rows.push(result.row);
      recomputed += 1;
    }
  }
  rows.sort((a, b) => (a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0));
  const csv = featuresCsvHeader(spec.featureNames) + rows.map(featuresCsvLine).join('');
  const bytes = Buffer.from(csv, 'utf8');
  const snapshotId = createHash('sha256').update(bytes).digest('hex');
  const blobName = snapshotBlobName(snapshotId);
  const blob = storage.snapshots.getBlockBlobClient(blobName);
  let created = false;
  try {
    if (!(await blob.exists())) {
      await blob.uploadData(bytes, {
        blobHTTPHeaders: { blobContentType: 'text/csv; charset=utf-8' },
        metadata: { spechash: spec.hash, rows: String(rows.length) },
      });
      created = true;
    }
  } catch (error) {
    throw toStorageError(error, `uploading snapshot ${blobName}`);
  }
  return {
    snapshotId,
    blobName,
    rows: rows.length,
    positives: rows.filter((r) => r.label === 1).length,
    specHash: spec.hash,
    features: spec.featureNames,
    bytes: bytes.length,
    recomputed,
    created,
  };
}

/** A stored snapshot, as a listing shows it (no download). */
export interface SnapshotListing {
  snapshotId: string;
  specHash: string;
  rows: number;
  lastModified: Date;
}

/**
 * The snapshots in the container, newest first (by last-modified time, then id). Reads only:
 * one blob listing with metadata, which a read-only SAS (read + list) allows. A container
 * that does not exist yet holds none.
 */
export async function listSnapshots(snapshots: ContainerClient): Promise<SnapshotListing[]> {
  const found: SnapshotListing[] = [];
  try {
    for await (const blob of snapshots.listBlobsFlat({ includeMetadata: true })) {
      const id = /^([0-9a-f]{64})\.csv$/.exec(blob.name)?.[1];
      if (!id) continue;
      found.push({
        snapshotId: id,
        specHash: blob.metadata?.spechash ?? '',
        rows: Number(blob.metadata?.rows ?? Number.NaN),
        lastModified: blob.properties.lastModified,
      });
    }
  } catch (error) {
    if (restStatus(error) === HTTP_NOT_FOUND) return [];
    throw toStorageError(error, `listing snapshots in container ${snapshots.containerName}`);
  }
  return found.sort(
    (a, b) =>
      b.lastModified.getTime() - a.lastModified.getTime() ||
      (a.snapshotId < b.snapshotId ? -1 : a.snapshotId > b.snapshotId ? 1 : 0),
  );
}

/**
 * Downloads the newest snapshot made with the feature spec `specHash` (its features are the
 * ones this code computes), reading only: a listing and a download.
 * @throws StorageError (404) when there is none.
 */
export async function downloadLatestSnapshot(
  snapshots: ContainerClient,
  specHash: string,
): Promise<DownloadedSnapshot> {
  const all = await listSnapshots(snapshots);
  const latest = all.find((snapshot) => snapshot.specHash === specHash);
  if (!latest) {
    throw new StorageError(
      `no snapshot made with feature spec ${specHash.slice(0, 12)} in container ${snapshots.containerName} (${all.length} with other specs): run \`opp snapshot\` with write access first`,
      HTTP_NOT_FOUND,
    );
  }
  return downloadSnapshot(snapshots, latest.snapshotId);
}

export interface DownloadedSnapshot {
  snapshotId: string;
  /** The features CSV text. */
  csv: string;
  specHash: string;
  rows: number;
}

/**
 * Downloads a snapshot by id for training, checking its bytes against the id.
 * @throws StorageError when it does not exist (404) or its content does not match its id.
 */
export async function downloadSnapshot(
  snapshots: ContainerClient,
  snapshotId: string,
): Promise<DownloadedSnapshot> {
  if (!SNAPSHOT_ID.test(snapshotId)) {
    throw new RangeError(`a snapshot id is 64 lowercase hex characters, but got "${snapshotId}"`);
  }
  const blob = snapshots.getBlockBlobClient(snapshotBlobName(snapshotId));
  let bytes: Buffer;
  let metadata: Record<string, string>;
  try {
    bytes = await blob.downloadToBuffer();
    metadata = (await blob.getProperties()).metadata ?? {};
  } catch (error) {
    if (restStatus(error) === HTTP_NOT_FOUND) {
      throw new StorageError(
        `snapshot ${snapshotId} not found in container ${snapshots.containerName}`,
        HTTP_NOT_FOUND,
        {
          cause: error,
        },
      );
    }
    throw toStorageError(error, `downloading snapshot ${snapshotId}`);
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== snapshotId) {
    throw new StorageError(`snapshot ${snapshotId} is corrupt: its content hashes to ${actual}`);
  }
  return {
    snapshotId,
    csv: bytes.toString('utf8'),
    specHash: metadata.spechash ?? '',
    rows: Number(metadata.rows ?? Number.NaN),
  };
}
