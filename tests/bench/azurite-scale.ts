/**
 * `npm run bench:azurite-scale`: Azurite's raw batch-upsert rate as its table grows, for a given
 * number of partitions. Writes full transactions of 100 rows (partition after partition, so
 * batch fill is not what is measured), real record entities with fresh keys, and prints the rate
 * of every `--step` rows. Options: --partitions 16,256,4096 --rows N (per partition count,
 * default 300,000) --step N (default 50,000) --disk (data on disk instead of in memory)
 * --concurrency N (transactions in flight, default 8) --max-seconds S (per partition count)
 * --batch N (rows per transaction, default 100) --cpu-prof DIR (profile Azurite's process into DIR).
 * Prints one JSON line per step on stdout.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compileFeatureSpec } from '../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../pipeline/features/feature-spec.js';
import { SampleSource } from '../../pipeline/sources/SampleSource.js';
import { startAzurite } from '../../pipeline/storage/azurite.js';
import { BatchWriter, type Entity } from '../../pipeline/storage/BatchWriter.js';
import { keptRecord, toRecordEntity } from '../../pipeline/storage/record-rows.js';
import { createStorageClients, ensureStorage } from '../../pipeline/storage/storage-clients.js';
import { defaultConfigPath } from '../../pipeline/util/package-root.js';

const { values } = parseArgs({
  options: {
    partitions: { type: 'string', default: '16,256,4096' },
    rows: { type: 'string', default: '300000' },
    step: { type: 'string', default: '50000' },
    disk: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '8' },
    'max-seconds': { type: 'string', default: '150' },
    batch: { type: 'string', default: '100' },
    'cpu-prof': { type: 'string' },
  },
});
const ROWS = Number(values.rows);
const STEP = Number(values.step);
const CONCURRENCY = Number(values.concurrency);
const MAX_SECONDS = Number(values['max-seconds']);
/** Distinct record payloads cycled under fresh keys (generating 1M samples is itself slow). */
const TEMPLATES = 5_000;
/** Rows per transaction (≤ 100): smaller batches show the cost of a request. */
const BATCH = Number(values.batch);

const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));
const templates: Entity[] = SampleSource.fromSample({ n: TEMPLATES, seed: 3 })
  .all()
  .flatMap((doc) => {
    const result = spec.extract(doc.record);
    if (result.status !== 'kept') return [];
    const meta = {
      specHash: spec.hash,
      modified: new Date(doc.modified).toISOString(),
      indexId: doc.indexId,
    };
    return [toRecordEntity(keptRecord(result.row, { ...meta, payload: doc.record }))];
  });
const meanChars = templates.reduce((s, e) => s + JSON.stringify(e).length, 0) / templates.length;
process.stderr.write(`${templates.length} template entities, mean ${Math.round(meanChars)} JSON chars\n`);

for (const partitions of values.partitions.split(',').map(Number)) {
  const dir = await mkdtemp(join(tmpdir(), 'opp-azscale-'));
  const cpuProf = values['cpu-prof'];
  const azurite = await startAzurite({
    location: dir,
    inMemory: !values.disk,
    nodeArgs: cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : [],
  });
  try {
    const clients = createStorageClients(azurite.connectionString, { prefix: 'scale' });
    await ensureStorage(clients);
    const writer = new BatchWriter(clients.records, { concurrency: CONCURRENCY, maxBatch: BATCH });
    const started = performance.now();
    let stepStarted = started;
    let written = 0;
    while (written < ROWS) {
      // One full transaction: 100 rows of one partition; partitions in turn.
      const partition = `p${((written / BATCH) % partitions).toString(16).padStart(3, '0')}`;
      for (let i = 0; i < BATCH; i++, written++) {
        const template = templates[written % templates.length]!;
        const rowKey = createHash('sha1').update(String(written)).digest('hex');
        await writer.add({ ...template, partitionKey: partition, rowKey, recordId: rowKey });
      }
      if (written % STEP === 0) {
        await writer.flush();
        const now = performance.now();
        const line = {
          partitions,
          batch: BATCH,
          disk: values.disk,
          rows: written,
          rowsPerPartition: Math.round(written / partitions),
          stepPerSecond: Math.round(STEP / ((now - stepStarted) / 1000)),
          seconds: Math.round((now - started) / 100) / 10,
          load1: Math.round(loadavg()[0]! * 100) / 100,
          ...(values.disk ? { dbMB: await dbMegabytes(dir) } : {}),
        };
        process.stdout.write(`${JSON.stringify(line)}\n`);
        stepStarted = now;
        if ((now - started) / 1000 > MAX_SECONDS) break;
      }
    }
    await writer.flush();
  } finally {
    await azurite.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function dbMegabytes(dir: string): Promise<number> {
  try {
    return Math.round((await stat(join(dir, '__azurite_db_table__.json'))).size / 1e6);
  } catch {
    return 0;
  }
}
