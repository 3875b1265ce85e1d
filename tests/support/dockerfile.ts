import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { PACKAGE_ROOT } from '../../pipeline/util/package-root.js';

/** One Dockerfile instruction, continuation lines joined, comments dropped. */
export interface Instruction {
  keyword: string;
  args: string;
}

/** The instructions of a Dockerfile (repo-relative path), in order. */
export function readDockerfile(path: string): Instruction[] {
  const text = readFileSync(join(PACKAGE_ROOT, path), 'utf8');
  const instructions: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    pending += `${line.replace(/\\$/, '')} `;
    if (line.endsWith('\\')) continue;
    const [, keyword, args] = /^(\S+)\s+(.*)$/.exec(pending.trim())!;
    instructions.push({ keyword: keyword!.toUpperCase(), args: args!.trim() });
    pending = '';
  }
  return instructions;
}

/** The instructions of the final stage (after the last FROM). */
export function finalStage(instructions: Instruction[]): Instruction[] {
  const from = instructions.map((i) => i.keyword).lastIndexOf('FROM');
  return instructions.slice(from + 1);
}

/** The exec-form CMD (or ENTRYPOINT + CMD) of a stage. */
export function commandLine(stage: Instruction[]): string[] {
  const json = (keyword: string) => {
    const found = stage.filter((i) => i.keyword === keyword).at(-1);
    return found ? (JSON.parse(found.args) as string[]) : [];
  };
  return [...json('ENTRYPOINT'), ...json('CMD')];
}

/** ENV of a stage (`K=V` pairs; values without spaces). */
export function environment(stage: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.filter((i) => i.keyword === 'ENV')) {
    for (const pair of i.args.split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

/** A folder laid out as the image's file system would be, and how to run a command in it. */
export interface ImageLayout {
  /** Stands for `/`. */
  root: string;
  /** The WORKDIR, under `root`. */
  workdir: string;
  /** The image's ENV, absolute paths moved under `root`, and PATH with `root`'s bin folders first. */
  env: Record<string, string>;
}

/**
 * Lays out the final stage of a Dockerfile in a temporary folder, without docker: WORKDIR, ENV,
 * each `COPY` from the repository (build output included, so `npm run build` first), and the
 * `chmod`/`ln -s` commands of its `RUN` lines, absolute paths moved under the folder. Package
 * installs (`npm ci`, `apt-get`) are stood in for by a link to this repository's node_modules.
 */
export function layOutImage(dockerfile: string): ImageLayout {
  const stage = finalStage(readDockerfile(dockerfile));
  const root = mkdtempSync(join(tmpdir(), 'opp-image-'));
  const under = (path: string) => join(root, path);
  let workdir = under('/');
  for (const { keyword, args } of stage) {
    if (keyword === 'WORKDIR') {
      workdir = under(args);
      mkdirSync(workdir, { recursive: true });
    } else if (keyword === 'COPY') {
      if (args.startsWith('--'))
        throw new Error(`COPY ${args}: only plain COPY from the context is laid out`);
      const parts = args.split(/\s+/);
      const target = parts.pop()!;
      for (const source of parts) {
        const dest = isAbsolute(target) ? under(target) : join(workdir, target);
        const into =
          target.endsWith('/') && !source.endsWith('/') ? join(dest, source.split('/').at(-1)!) : dest;
        mkdirSync(dirname(into), { recursive: true });
        cpSync(join(PACKAGE_ROOT, source), into, { recursive: true });
      }
    } else if (keyword === 'RUN') {
      for (const step of args.split('&&').map((s) => s.trim())) {
        const words = step.split(/\s+/);
        const moved = words.map((w, k) => (k > 0 && w.startsWith('/') ? under(w) : w));
        if (words[0] === 'chmod' || (words[0] === 'ln' && words[1] === '-s')) {
          const run = spawnSync(moved[0]!, moved.slice(1), { cwd: workdir, encoding: 'utf8' });
          if (run.status !== 0) throw new Error(`${step}: ${run.stderr}`);
        } else if (/\bnpm (ci|install)\b/.test(step)) {
          try {
            symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(workdir, 'node_modules'), 'dir');
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          }
        }
      }
    }
  }
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(environment(stage))) {
    env[key] = value.startsWith('/') ? under(value) : value;
  }
  env.PATH = [under('/usr/local/bin'), under('/usr/bin'), process.env.PATH ?? ''].join(':');
  return { root, workdir, env };
}
