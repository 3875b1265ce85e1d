#!/usr/bin/env node
// Placeholder scoring server for the local deployment target until `opp serve` lands:
// serves /health/live and /health/ready for a bundle folder, prints its URL once listening.
// A bundle holding a file named `placeholder-fail-health` answers 503 on /health/ready; one
// holding `placeholder-fail-after` (a number N) answers 503 after N readiness probes.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const bundle = arg('bundle', '.');
const port = Number(arg('port', '0'));
const failHealth = existsSync(join(bundle, 'placeholder-fail-health'));
const failAfterFile = join(bundle, 'placeholder-fail-after');
const failAfter = existsSync(failAfterFile) ? Number(readFileSync(failAfterFile, 'utf8')) : Infinity;
let probes = 0;

const server = createServer((req, res) => {
  if (req.url === '/health/live') return res.writeHead(200).end('ok');
  if (req.url === '/health/ready') {
    const bad = failHealth || ++probes > failAfter;
    if (bad) process.stderr.write(`readiness probe ${probes} failed\n`);
    return res.writeHead(bad ? 503 : 200).end(bad ? 'not ready' : 'ready');
  }
  res.writeHead(404).end();
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(
    `placeholder server for ${bundle} listening on http://127.0.0.1:${server.address().port}\n`,
  );
  if (failHealth) process.stderr.write('model failed to load: placeholder-fail-health is set\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
