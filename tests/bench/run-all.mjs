#!/usr/bin/env node
// `npm run bench`: every benchmark in turn, each writing its figures into tests/bench/RESULTS.md.
// The anchors (PyTorch, Optuna, Flask, XGBoost) need Debian's python3-torch python3-sklearn
// python3-optuna python3-flask python3-xgboost; a bench whose anchor is missing says so and fails.
// `npm run bench -- serve ingest` runs only those. Expect about an hour and a half for all of them on 2 cores (gate-error-rate's 31 trainings alone take 20-40 minutes).
import { spawnSync } from 'node:child_process';

const BENCHES = [
  'train',
  'fused',
  'quality',
  'serve',
  'ingest',
  'hpo',
  'hpo-training',
  'trainer-parity',
  'tracking',
  'bootstrap',
  'pr-push-to-comment',
  'gate-error-rate',
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !BENCHES.includes(name));
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.join(', ')}: expected some of ${BENCHES.join(', ')}`);
  process.exit(2);
}
const results = [];
for (const name of wanted.length > 0 ? wanted : BENCHES) {
  const started = Date.now();
  console.log(`\n=== npm run bench:${name}`);
  const { status } = spawnSync('npm', ['run', `bench:${name}`], { stdio: 'inherit' });
  results.push({ name, status, seconds: Math.round((Date.now() - started) / 1000) });
}
console.log('\nbench         status  seconds');
for (const r of results) console.log(`${r.name.padEnd(13)} ${String(r.status).padStart(6)}  ${r.seconds}`);
process.exit(results.every((r) => r.status === 0) ? 0 : 1);
