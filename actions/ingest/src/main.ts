import * as core from '@actions/core';
import { isLeaseHeldError } from '../../../pipeline/errors/LeaseHeldError.js';
import type { IngestStats } from '../../../pipeline/ingestion/ingest-window.js';
import { openIngestContext, type ProgressNotes } from '../../../pipeline/ingestion/open-ingest-context.js';
import { runBackfill } from '../../../pipeline/ingestion/run-backfill.js';
import { runIngest } from '../../../pipeline/ingestion/run-ingest.js';
import { cell, failWith, keyValueTable, writeSummary } from '../../shared/outcome.js';
import { type IngestInputs, readInputs, sourceOptions } from './inputs.js';

/** Library notes go to the step log. */
const log: ProgressNotes = { note: (line) => core.info(line) };

/** Runs one incremental ingest or a backfill: outputs, job summary, failure with the cause. */
export async function run(): Promise<void> {
  try {
    const inputs = readInputs();
    const { context, close } = await openIngestContext(sourceOptions(inputs), log, inputs.env);
    try {
      if (inputs.mode === 'backfill') await backfill(inputs, context);
      else await ingest(inputs, context);
    } finally {
      await close();
    }
  } catch (error) {
    failWith(error);
  }
}

type Context = Awaited<ReturnType<typeof openIngestContext>>['context'];

async function ingest(inputs: IngestInputs, context: Context): Promise<void> {
  try {
    const result = await runIngest(context, {
      overlapMs: inputs.overlapMs,
      lagMs: inputs.lagMs,
      initialWatermark: inputs.since,
      leaseWaitMs: inputs.leaseWaitMs,
      checkpointPages: inputs.checkpointPages,
    });
    core.setOutput('skipped', 'false');
    core.setOutput('window-from', result.window.from);
    core.setOutput('window-to', result.window.to);
    core.setOutput('watermark', result.watermark);
    setStatsOutputs(result.stats);
    await writeSummary(
      [
        '## opp ingest',
        '',
        keyValueTable([
          ['window', `[${result.window.from}, ${result.window.to})`],
          ['watermark', `${result.previousWatermark ?? '(none)'} → ${result.watermark}`],
          ['seconds', result.seconds.toFixed(2)],
          ...statsRows(result.stats),
        ]),
        '',
      ].join('\n'),
    );
  } catch (error) {
    // Another run holds the lease: this run has nothing to do, which is not a failure.
    if (!isLeaseHeldError(error)) throw error;
    core.notice(`ingest skipped: ${error.message}`);
    core.setOutput('skipped', 'true');
    await writeSummary(`## opp ingest: skipped\n\n${cell(error.message)} (holder ${cell(error.holder)})\n`);
  }
}

async function backfill(inputs: IngestInputs, context: Context): Promise<void> {
  const result = await runBackfill(context, inputs.from!, inputs.to!, {
    windowMs: inputs.windowMs,
    concurrency: inputs.concurrency,
    leaseWaitMs: inputs.leaseWaitMs,
    onWindow: (done, total) => core.info(`backfill: ${done}/${total} windows`),
  });
  core.setOutput('skipped', 'false');
  core.setOutput('window-from', result.from);
  core.setOutput('window-to', result.to);
  core.setOutput('windows', String(result.windows));
  setStatsOutputs(result.stats);
  await writeSummary(
    [
      '## opp backfill',
      '',
      keyValueTable([
        ['range', `[${result.from}, ${result.to})`],
        ['windows', `${result.windows} (${result.skipped} already done by an earlier run)`],
        ['seconds', result.seconds.toFixed(2)],
        ...statsRows(result.stats),
      ]),
      '',
    ].join('\n'),
  );
}

function setStatsOutputs(stats: IngestStats): void {
  core.setOutput('listed', String(stats.listed));
  core.setOutput('kept', String(stats.kept));
  core.setOutput('excluded', String(stats.excluded));
  core.setOutput('quarantined', String(stats.quarantined));
}

function statsRows(stats: IngestStats): [string, unknown][] {
  const reasons = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([rule, n]) => `${rule}: ${n}`)
      .join(', ');
  return [
    ['listed', stats.listed],
    ['kept', stats.kept],
    ['excluded', `${stats.excluded}${stats.excluded > 0 ? ` (${reasons(stats.excludedBy)})` : ''}`],
    [
      'quarantined',
      `${stats.quarantined}${stats.quarantined > 0 ? ` (${reasons(stats.quarantinedBy)})` : ''}`,
    ],
  ];
}
