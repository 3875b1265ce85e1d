/**
 * `node tests/bench/loki-string-limit.mjs`: does LokiJS's normal serialization (what Azurite's
 * autosave calls every 5 s) survive N rows of ~1.2 KB? Prints the JSON length every 40,000 rows;
 * past V8's longest string (536,870,888 characters) the process aborts with a fatal error.
 * lokijs is Azurite's own dependency, loaded from Azurite's folder. Needs ~6 GB of heap.
 */
import { createRequire } from 'node:module';

const require = createRequire(createRequire(import.meta.url).resolve('azurite/package.json'));
const Loki = require('lokijs');
const db = new Loki('probe.json', { persistenceMethod: 'memory' });
const rows = db.addCollection('t', { indices: ['PartitionKey', 'RowKey'] });
const raw = 'x'.repeat(1000);
for (let n = 1; n <= 480_000; n++) {
  rows.insert({ PartitionKey: `p${n % 4096}`, RowKey: String(n).padStart(12, '0'), properties: { raw } });
  if (n % 40_000 === 0) console.log(`${n} rows -> ${db.serialize().length} characters`);
}
