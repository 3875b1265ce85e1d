import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Outbox } from '../../../pipeline/tracking/Outbox.js';

describe('Outbox.lock', () => {
  it('lets one upload of a run at a time, in this process and across processes', async () => {
    const outbox = new Outbox(mkdtempSync(join(tmpdir(), 'opp-outbox-')));
    mkdirSync(join(outbox.root, 'run-1'));
    const release = await outbox.lock('run-1');
    expect(release).toBeTypeOf('function');
    // This process uploading it already counts as busy too.
    expect(await outbox.lock('run-1')).toBeUndefined();
    await release!();
    const again = await outbox.lock('run-1');
    expect(again).toBeTypeOf('function');
    await again!();

    // Another running process holds it; a lock whose process is gone is taken over.
    writeFileSync(join(outbox.root, 'run-1', 'upload.lock'), String(process.ppid));
    expect(await outbox.lock('run-1')).toBeUndefined();
    writeFileSync(join(outbox.root, 'run-1', 'upload.lock'), String(2 ** 22 + 1));
    expect(await outbox.lock('run-1')).toBeTypeOf('function');
  });
});
