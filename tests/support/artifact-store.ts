import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';

/**
 * Stand-ins for actions/upload-artifact and actions/download-artifact v4 that keep artifacts in a
 * folder, by run id and name, so one rehearsed job can hand its artifact to another.
 *
 * Upload follows upload-artifact v4.6's search (src/shared/search.ts, on @actions/glob with
 * implicit descendants, followed links, hidden files left out): each line of `path` is a search
 * path (relative to the workspace); a file matches itself, a folder all the files below it (a
 * trailing `/` matches folders only); with several lines the artifact's root is the least common
 * ancestor of the search paths (found or not), with one line the folder searched, or for a
 * single file its parent. Nothing found: `if-no-files-found` says warn (the default), error or
 * ignore. Wildcards and `!` exclusions are not implemented: a workflow that starts using them
 * fails here loudly instead of being rehearsed wrongly.
 */
export interface ArtifactStore {
  /** The step `uses: actions/upload-artifact` in `workspace` of run `runId`; false when it fails. */
  upload(workspace: string, runId: string, inputs: Record<string, string>): boolean;
  /** The step `uses: actions/download-artifact` (`name`, `path`, `run-id`); false when it fails. */
  download(workspace: string, currentRunId: string, inputs: Record<string, string>): boolean;
  /** The stored files of an artifact, relative to its root, sorted; undefined when none was uploaded. */
  files(runId: string, name: string): string[] | undefined;
  /** Warnings and errors the actions would print (`::warning::`/`::error::` text). */
  messages: string[];
}

/** Artifacts kept under `dir`. */
export function createArtifactStore(dir: string): ArtifactStore {
  const messages: string[] = [];
  const folder = (runId: string, name: string) => join(dir, runId, name);
  const files = (runId: string, name: string) => {
    const root = folder(runId, name);
    return existsSync(root)
      ? listFiles(root, true)
          .map((file) => relative(root, file))
          .sort()
      : undefined;
  };
  return {
    messages,
    files,
    upload(workspace, runId, inputs) {
      const name = inputs.name || 'artifact';
      const lines = (inputs.path ?? '')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '');
      if (lines.length === 0) throw new Error('upload-artifact stand-in: no path');
      for (const line of lines)
        if (/[*?[\]]|^!/.test(line))
          throw new Error(`upload-artifact stand-in: wildcards and exclusions are not implemented: ${line}`);
      const includeHidden = inputs['include-hidden-files'] === 'true';
      const searches = lines.map((line) => ({
        path: normalize(isAbsolute(line) ? line : resolve(workspace, line)).replace(/\/$/, ''),
        foldersOnly: line.endsWith('/'),
      }));
      const found = searches.flatMap(({ path, foldersOnly }) => {
        if (!existsSync(path)) return [];
        if (statSync(path).isDirectory()) return listFiles(path, includeHidden);
        return foldersOnly || (!includeHidden && basename(path).startsWith('.')) ? [] : [path];
      });
      const unique = [...new Set(found)];
      if (unique.length === 0) {
        const message = `No files were found with the provided path: ${lines.join('\n')}. No artifacts will be uploaded.`;
        const mode = inputs['if-no-files-found'] || 'warn';
        if (mode === 'error') {
          messages.push(`error: ${message}`);
          return false;
        }
        if (mode === 'warn') messages.push(`warning: ${message}`);
        return true;
      }
      if (existsSync(folder(runId, name))) {
        messages.push(`error: an artifact named ${name} already exists in run ${runId}`);
        return false;
      }
      const paths = searchPaths(searches.map((s) => s.path));
      const root =
        paths.length > 1
          ? commonAncestor(paths)
          : unique.length === 1 && paths[0] === unique[0]
            ? dirname(unique[0]!)
            : paths[0]!;
      for (const file of unique) {
        const target = join(folder(runId, name), relative(root, file));
        mkdirSync(dirname(target), { recursive: true });
        // Uploads store the content: a link is followed, as the action's globber does (copyFile
        // reads through links; cpSync's dereference mistakes a linked file for a folder on Node 24).
        copyFileSync(file, target);
      }
      return true;
    },
    download(workspace, currentRunId, inputs) {
      const runId = inputs['run-id'] || currentRunId;
      if (inputs['run-id'] && !inputs['github-token'])
        throw new Error('download-artifact stand-in: run-id needs github-token, as the action says');
      if (!inputs.name) throw new Error('download-artifact stand-in: only downloads by name are rehearsed');
      const stored = folder(runId, inputs.name);
      if (!existsSync(stored)) {
        messages.push(`error: Unable to download artifact(s): Artifact not found for name: ${inputs.name}`);
        return false;
      }
      const target = resolve(workspace, inputs.path || '.');
      mkdirSync(target, { recursive: true });
      cpSync(stored, target, { recursive: true });
      return true;
    },
  };
}

/** Every file below `root` (following links, as the action's globber does); hidden ones only if asked. */
function listFiles(root: string, includeHidden: boolean): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((entry) => {
    if (!includeHidden && entry.name.startsWith('.')) return [];
    const path = join(root, entry.name);
    return statSync(path).isDirectory() ? listFiles(path, includeHidden) : [path];
  });
}

/** @actions/glob's getSearchPaths: duplicates and paths below another search path dropped. */
function searchPaths(paths: string[]): string[] {
  const all = new Set(paths);
  const result: string[] = [];
  for (const path of new Set(paths)) {
    let parent = dirname(path);
    let child = path;
    let covered = false;
    while (parent !== child) {
      if (all.has(parent)) covered = true;
      child = parent;
      parent = dirname(parent);
    }
    if (!covered) result.push(path);
  }
  return result;
}

/** upload-artifact's getMultiPathLCA: the longest run of leading path segments all paths share. */
function commonAncestor(paths: string[]): string {
  const split = paths.map((path) => path.split(sep));
  const shortest = Math.min(...split.map((parts) => parts.length));
  let index = 0;
  while (index < shortest && split.every((parts) => parts[index] === split[0]![index])) index++;
  return split[0]!.slice(0, index).join(sep) || sep;
}
