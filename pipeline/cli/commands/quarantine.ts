import type { Command } from 'commander';
import { deleteQuarantineEntry, type QuarantineReview, reviewQuarantine } from '../../storage/quarantine.js';
import { withStoredData } from '../ingest-setup.js';
import { createOutput, formatCounts } from '../output.js';

interface QuarantineCliOptions {
  all?: boolean;
  prune?: boolean;
  raw?: boolean;
  json?: boolean;
}

/** `opp quarantine`: what ingestion could not use, and why, with fixed records told apart. */
export function registerQuarantine(program: Command): void {
  program
    .command('quarantine')
    .description(
      'List quarantined records with their reasons; entries whose record was stored valid later are hidden (--all shows them, --prune deletes them)',
    )
    .option('--all', 'also list entries resolved by a later valid version of their record')
    .option('--prune', 'delete the resolved entries')
    .option('--raw', 'include each payload as received (JSON text)')
    .option('--json', 'print one JSON result on stdout')
    .action(async (opts: QuarantineCliOptions) => {
      const output = createOutput(Boolean(opts.json));
      await withStoredData(async (storage) => {
        const open: QuarantineReview[] = [];
        const resolved: QuarantineReview[] = [];
        for await (const review of reviewQuarantine(storage.quarantine, storage.records)) {
          (review.resolvedBy ? resolved : open).push(review);
        }
        if (opts.prune) for (const r of resolved) await deleteQuarantineEntry(storage.quarantine, r.entry);
        const shown = opts.all ? [...open, ...resolved] : open;
        const byRule: Record<string, number> = {};
        for (const { entry } of open) {
          const key = `${entry.kind}: ${entry.rule}`;
          byRule[key] = (byRule[key] ?? 0) + 1;
        }
        output.result(
          {
            open: open.length,
            resolved: resolved.length,
            pruned: opts.prune ? resolved.length : 0,
            entries: shown.map(({ entry, resolvedBy }) => {
              const { raw, ...rest } = entry;
              return { ...rest, ...(opts.raw ? { raw } : {}), ...(resolvedBy ? { resolvedBy } : {}) };
            }),
          },
          () =>
            [
              `${open.length} quarantined, ${resolved.length} resolved by a later valid version${opts.prune ? ' (pruned)' : opts.all || resolved.length === 0 ? '' : ' (hidden: --all shows them, --prune deletes them)'}`,
              ...(open.length > 0 ? [formatCounts(byRule, '  ')] : []),
              ...shown.map(({ entry, resolvedBy }) =>
                [
                  `${entry.indexId}  ${entry.kind}  ${entry.rule}: ${entry.reason}  (modified ${entry.modified})${resolvedBy ? `  resolved: ${resolvedBy.status} ${resolvedBy.modified}` : ''}`,
                  ...(opts.raw && entry.raw ? [`  ${entry.raw}`] : []),
                ].join('\n'),
              ),
            ].join('\n'),
        );
      });
    });
}
