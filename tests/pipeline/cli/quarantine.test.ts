import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchWriter } from '../../../pipeline/storage/BatchWriter.js';
import {
  type QuarantineKind,
  quarantineEntry,
  toQuarantineEntity,
} from '../../../pipeline/storage/quarantine.js';
import { type RecordStatus, toRecordEntity } from '../../../pipeline/storage/record-rows.js';
import { useAzurite } from '../../support/azurite.js';
import { runCli } from '../../support/run-cli.js';

const azurite = useAzurite();
const EARLY = '2024-01-01T00:00:00.000Z';
const LATE = '2024-02-01T00:00:00.000Z';

afterEach(() => vi.unstubAllEnvs());

/** A quarantine with open and resolved entries; returns the prefix its tables live under. */
async function seedQuarantine(): Promise<void> {
  const { prefix, clients } = await azurite.freshStorage();
  vi.stubEnv('OPP_STORAGE_CONNECTION_STRING', azurite.instance.connectionString);
  vi.stubEnv('OPP_STORAGE_PREFIX', prefix);
  const entries: [QuarantineKind, string, string][] = [
    ['invalid-record', 'ia', '<a@x.y>'], // its row is still quarantined: open
    ['invalid-record', 'ib', '<b@x.y>'], // a later version was kept: resolved
    ['missing-record', 'ic', '<c@x.y>'], // returned later, excluded by a rule: resolved
    ['undecodable-id', 'id!', ''], // never resolves
    ['invalid-record', 'ie', '<e@x.y>'], // only an older version is stored: open
  ];
  const quarantine = new BatchWriter(clients.quarantine);
  for (const [kind, indexId, recordId] of entries) {
    const modified = recordId === '<e@x.y>' ? LATE : EARLY;
    const entry = quarantineEntry({ kind, indexId, recordId, rule: 'r', reason: `bad ${indexId}`, modified });
    await quarantine.add(toQuarantineEntity(entry));
  }
  await quarantine.flush();
  const rows: [string, RecordStatus, string][] = [
    ['<a@x.y>', 'quarantined', EARLY],
    ['<b@x.y>', 'kept', LATE],
    ['<c@x.y>', 'excluded', LATE],
    ['<e@x.y>', 'kept', EARLY],
  ];
  const records = new BatchWriter(clients.records);
  for (const [recordId, status, modified] of rows) {
    await records.add(
      toRecordEntity({
        recordId,
        status,
        rule: '',
        reason: '',
        ...(status === 'kept' ? { division: 0, label: 1 as const, features: [1] } : {}),
        specHash: 'h',
        modified,
        indexId: recordId,
        raw: '{}',
        rawTruncated: false,
      }),
    );
  }
  await records.flush();
}

describe('opp quarantine', () => {
  it('lists the open entries with their reasons and hides those a later valid version resolved', async () => {
    await seedQuarantine();
    const listed = await runCli(['quarantine', '--json']);
    expect(listed.code).toBe(0);
    const result = JSON.parse(listed.stdout);
    expect(result).toMatchObject({ open: 3, resolved: 2, pruned: 0 });
    expect(result.entries.map((e: { indexId: string }) => e.indexId).sort()).toEqual(['ia', 'id!', 'ie']);
    expect(result.entries[0]).not.toHaveProperty('raw');

    const all = JSON.parse((await runCli(['quarantine', '--all', '--json'])).stdout);
    const resolved = all.entries.filter((e: { resolvedBy?: unknown }) => e.resolvedBy);
    expect(
      resolved
        .map((e: { indexId: string; resolvedBy: { status: string } }) => [e.indexId, e.resolvedBy.status])
        .sort(),
    ).toEqual([
      ['ib', 'kept'],
      ['ic', 'excluded'],
    ]);
  });

  it('prunes only the resolved entries', async () => {
    await seedQuarantine();
    const pruned = JSON.parse((await runCli(['quarantine', '--prune', '--json'])).stdout);
    expect(pruned).toMatchObject({ open: 3, resolved: 2, pruned: 2 });
    const after = JSON.parse((await runCli(['quarantine', '--all', '--json'])).stdout);
    expect(after).toMatchObject({ open: 3, resolved: 0 });
    expect(after.entries).toHaveLength(3);
  });

  it('prints a count per kind and rule, and each entry, as text', async () => {
    await seedQuarantine();
    const text = await runCli(['quarantine']);
    expect(text.stdout).toMatch(/^3 quarantined, 2 resolved by a later valid version \(hidden/);
    expect(text.stdout).toMatch(/2 {2}invalid-record: r/);
    expect(text.stdout).toMatch(/ia {2}invalid-record {2}r: bad ia/);
  });
});
