import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ArtifactStore, createArtifactStore } from './artifact-store.js';

/** The upload-artifact v4 search rules the stand-in follows (see artifact-store.ts). */
describe('the artifact store stand-in', () => {
  let dir: string;
  let workspace: string;
  let store: ArtifactStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'opp-artifacts-'));
    workspace = join(dir, 'ws');
    store = createArtifactStore(join(dir, 'store'));
    for (const file of ['report/pr.json', 'report/gate/comment.md', 'report/gate/.hidden', 'other/x.txt']) {
      mkdirSync(dirname(join(workspace, file)), { recursive: true });
      writeFileSync(join(workspace, file), file);
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('roots several paths at their common folder, found or not, leaving hidden files out', () => {
    const ok = store.upload(workspace, '1', {
      name: 'a',
      path: 'report/pr.json\nreport/gate/\nreport/missing.json\n',
    });
    expect(ok).toBe(true);
    expect(store.files('1', 'a')).toEqual(['gate/comment.md', 'pr.json']);
    expect(store.messages).toEqual([]);
  });

  it('keeps a single file at the top, and a single folder as its own root', () => {
    store.upload(workspace, '1', { name: 'file', path: 'report/pr.json' });
    expect(store.files('1', 'file')).toEqual(['pr.json']);
    store.upload(workspace, '1', { name: 'folder', path: 'report', 'include-hidden-files': 'true' });
    expect(store.files('1', 'folder')).toEqual(['gate/.hidden', 'gate/comment.md', 'pr.json']);
  });

  it('warns and uploads nothing when no file matches (a trailing / matches folders only)', () => {
    expect(store.upload(workspace, '1', { name: 'none', path: 'report/pr.json/\nnope' })).toBe(true);
    expect(store.files('1', 'none')).toBeUndefined();
    expect(store.messages).toEqual([
      'warning: No files were found with the provided path: report/pr.json/\nnope. No artifacts will be uploaded.',
    ]);
    expect(store.upload(workspace, '1', { name: 'none', path: 'nope', 'if-no-files-found': 'error' })).toBe(
      false,
    );
  });

  it('stores a linked file by its content, refuses a second upload of a name, downloads to the path', () => {
    symlinkSync(join(workspace, 'other', 'x.txt'), join(workspace, 'report', 'link.txt'));
    expect(store.upload(workspace, '7', { name: 'r', path: 'report/' })).toBe(true);
    expect(store.upload(workspace, '7', { name: 'r', path: 'report/' })).toBe(false);
    const target = join(dir, 'temp', 'r');
    expect(
      store.download(workspace, '8', { name: 'r', path: target, 'run-id': '7', 'github-token': 't' }),
    ).toBe(true);
    expect(readFileSync(join(target, 'link.txt'), 'utf8')).toBe('other/x.txt');
    expect(store.download(workspace, '8', { name: 'r', path: target })).toBe(false);
    expect(() => store.upload(workspace, '7', { name: 'g', path: 'report/*.json' })).toThrow(/wildcards/);
  });
});
