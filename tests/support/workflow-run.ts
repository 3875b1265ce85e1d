import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { type ActionHarness, parseOutputs } from './action-run.js';

/**
 * Runs one job of a workflow file the way the runner would, step by step, as written in the
 * YAML: `run:` scripts with `bash --noprofile --norc -eo pipefail` and the env the step
 * declares, local actions (`uses: ./actions/x`) through their `run()` with `INPUT_*` env
 * (action.yml defaults included) or, when the test gives no `run()` for one, as the runner
 * does: `node <workspace>/actions/x/<runs.main>` (the committed dist/) in a child process, and
 * third-party actions through handlers the test supplies. `GITHUB_OUTPUT`, `GITHUB_ENV` and
 * `GITHUB_STEP_SUMMARY` are files, read back after each step (`GITHUB_ENV` lines reach the
 * later steps). `${{ }}` expressions are substituted from `context` and earlier steps'
 * outputs; an expression this small evaluator does not know fails the run, so a changed
 * workflow cannot slip past the test unexercised.
 */

export interface WorkflowStep {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  if?: string;
  'continue-on-error'?: boolean;
}

/** Context values by dotted name (`runner.temp`, `github.event.workflow_run.head_sha`, …). */
export type ExpressionContext = Record<string, string>;

export interface JobRunOptions {
  context: ExpressionContext;
  /** Env every step sees (GITHUB_REPOSITORY, GITHUB_API_URL, …), beside GITHUB_OUTPUT and RUNNER_TEMP. */
  env: Record<string, string>;
  /** The runner's temp folder (`runner.temp`). */
  runnerTemp: string;
  /**
   * Local actions by `uses:` path: their `run()`, in this process. A local action not named
   * here runs from `<workspace>/<path>/<runs.main>` in a child process, as on a runner.
   */
  localActions?: Record<string, () => Promise<void>>;
  /** Third-party actions by name (`owner/repo`, without the ref): what the step does here (false: it failed). */
  remoteActions: Record<string, (inputs: Record<string, string>) => unknown>;
  /**
   * Stand-ins for `run:` scripts: the first whose pattern matches the whole (substituted)
   * script runs instead of it, in the workspace; it returns whether the step passed.
   */
  runStandIns?: { pattern: RegExp; run: (workspace: string, script: string) => boolean }[];
  /** The checkout (`GITHUB_WORKSPACE`, the scripts' working directory). Default: this process's cwd. */
  workspace?: string;
  /** Env of the workflow's and the job's `env:` (expressions substituted here). */
  jobEnv?: Record<string, unknown>;
  /** Required when a local action runs from its dist/ or a script is run; else unused. */
  harness?: ActionHarness;
}

export interface JobRun {
  failed: boolean;
  /** The step that failed (name or uses). */
  failedStep?: string;
  /** `::error::` messages of every step, in order, and a failed script's stderr. */
  errors: string[];
  /** What each step printed. */
  output: string;
  /** Outputs by step id. */
  outputs: Record<string, Record<string, string>>;
  /** What the steps wrote to `GITHUB_STEP_SUMMARY`. */
  summary: string;
}

interface WorkflowFile {
  env?: Record<string, unknown>;
  jobs: Record<
    string,
    { steps?: WorkflowStep[]; env?: Record<string, unknown>; outputs?: Record<string, string> }
  >;
}

/**
 * What actions/checkout leaves in `workspace`: the files git would commit from the working tree
 * at `root` (tracked, and untracked but not ignored), so no node_modules and no build/.
 */
export function checkoutWorkingTree(root: string, workspace: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  })
    .split('\0')
    .filter((file) => file !== '' && file !== 'node_modules' && !file.startsWith('node_modules/'));
  for (const file of files) {
    mkdirSync(dirname(join(workspace, file)), { recursive: true });
    cpSync(join(root, file), join(workspace, file), { verbatimSymlinks: true });
  }
}

/**
 * The stand-in for a `run: npm ci …` step: this repository's node_modules linked into the
 * workspace (what npm ci installs, without the registry and its 40 s) and, unless the command
 * has `--ignore-scripts`, its build/ copied (what the `prepare` script builds; the test run's
 * own build of the same sources). A job without such a step has neither, as on a runner.
 */
export function npmCiStandIn(root: string): NonNullable<JobRunOptions['runStandIns']>[number] {
  return {
    pattern: /^npm ci(\s|$)/,
    run: (workspace, script) => {
      symlinkSync(join(root, 'node_modules'), join(workspace, 'node_modules'), 'dir');
      if (!script.includes('--ignore-scripts')) {
        if (!existsSync(join(root, 'build'))) throw new Error('npm ci stand-in: run `npm run build` first');
        cpSync(join(root, 'build'), join(workspace, 'build'), { recursive: true });
      }
      return true;
    },
  };
}

/** The steps of `job` in `file`. */
export function readJobSteps(file: string, job: string): WorkflowStep[] {
  return readJob(file, job).steps;
}

/**
 * The steps of `job` in `file`, the env its steps get from the workflow's and the job's `env:`,
 * and the job's `outputs:` (expressions, see {@link jobOutputs}).
 */
export function readJob(
  file: string,
  job: string,
): { steps: WorkflowStep[]; env: Record<string, unknown>; outputs: Record<string, string> } {
  const workflow = parse(readFileSync(file, 'utf8')) as WorkflowFile;
  const steps = workflow.jobs[job]?.steps;
  if (!steps) throw new Error(`${file}: job ${job} has no steps`);
  return {
    steps,
    env: { ...workflow.env, ...workflow.jobs[job]?.env },
    outputs: workflow.jobs[job]?.outputs ?? {},
  };
}

/** The job's `outputs:` after `run`, as `needs.<job>.outputs.*` gives them to later jobs. */
export function jobOutputs(
  outputs: Record<string, string>,
  run: JobRun,
  context: ExpressionContext = {},
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(outputs).map(([name, expression]) => [name, substitute(expression, context, run.outputs)]),
  );
}

/** Context names that GitHub evaluates to '' when unset (a secret or variable not configured). */
const EMPTY_WHEN_UNSET = /^(secrets|vars|inputs)\.[\w-]+$/;

/** Splits `text` at `operator` outside quotes and parentheses. */
function splitTopLevel(text: string, operator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && text.startsWith(operator, i)) {
      parts.push(text.slice(start, i));
      start = i + operator.length;
      i += operator.length - 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * Evaluates the expressions these workflows use: context names (unset `secrets.*`, `vars.*`,
 * `inputs.*` are ''), step outputs, '…', ==, !=, || and && (on strings: '' is false), (…).
 */
export function evaluateExpression(
  expression: string,
  context: ExpressionContext,
  outputs: JobRun['outputs'],
): string {
  const or = splitTopLevel(expression, '||');
  if (or.length > 1) {
    const values = or.map((part) => evaluateExpression(part, context, outputs));
    return values.find((value) => truthy(value)) ?? values.at(-1)!;
  }
  const and = splitTopLevel(expression, '&&');
  if (and.length > 1) {
    let value = '';
    for (const part of and) {
      value = evaluateExpression(part, context, outputs);
      if (!truthy(value)) return value;
    }
    return value;
  }
  const grouped = /^\((.*)\)$/s.exec(expression.trim());
  if (grouped && balanced(grouped[1]!)) return evaluateExpression(grouped[1]!, context, outputs);
  const compare = /^(.+?)\s*(==|!=)\s*(.+)$/.exec(expression.trim());
  if (compare) {
    const left = evaluateExpression(compare[1]!, context, outputs);
    const right = evaluateExpression(compare[3]!, context, outputs);
    return String((left === right) === (compare[2] === '=='));
  }
  const text = expression.trim();
  const literal = /^'((?:[^']|'')*)'$/.exec(text);
  if (literal) return literal[1]!.replace(/''/g, "'");
  const output = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(text);
  if (output) return outputs[output[1]!]?.[output[2]!] ?? '';
  if (Object.hasOwn(context, text)) return context[text]!;
  if (EMPTY_WHEN_UNSET.test(text)) return '';
  throw new Error(`workflow-run: unsupported expression \${{ ${text} }}`);
}

/** Whether every parenthesis of `text` closes one opened before it (so `(a) == (b)` is no group). */
function balanced(text: string): boolean {
  let depth = 0;
  for (const c of text.replace(/'(?:[^']|'')*'/g, '')) {
    depth += c === '(' ? 1 : c === ')' ? -1 : 0;
    if (depth < 0) return false;
  }
  return depth === 0;
}

/** '' and a comparison's false are false (the evaluator has only strings; GitHub's 'false' string is rare here). */
function truthy(value: string): boolean {
  return value !== '' && value !== 'false';
}

/** Substitutes every `${{ … }}` in `text`. */
export function substitute(text: string, context: ExpressionContext, outputs: JobRun['outputs']): string {
  return text.replace(/\$\{\{\s*([\s\S]+?)\s*\}\}/g, (_, expression: string) =>
    evaluateExpression(expression, context, outputs),
  );
}

/**
 * Whether a step runs: its `if:` (default `success()`), with the status functions of the job so
 * far; a condition without one is ANDed with `success()`, as on GitHub.
 */
function stepRuns(
  condition: string | undefined,
  jobFailed: boolean,
  context: ExpressionContext,
  outputs: JobRun['outputs'],
): boolean {
  const text = (condition ?? 'success()').trim().replace(/^\$\{\{([\s\S]*)\}\}$/, '$1');
  const status = { 'success()': !jobFailed, 'failure()': jobFailed, 'always()': true, 'cancelled()': false };
  const usesStatus = Object.keys(status).some((fn) => text.includes(fn));
  let expression = text;
  for (const [fn, value] of Object.entries(status)) expression = expression.split(fn).join(`'${value}'`);
  const value = truthy(evaluateExpression(expression, context, outputs));
  return usesStatus ? value : value && !jobFailed;
}

/**
 * Runs `steps` in order as the runner does: a failed step fails the job (unless it has
 * `continue-on-error`), and later steps run only when their `if:` says so (`always()`,
 * `failure()`, `steps.<id>.outcome`, …); skipped steps have the outcome `skipped`.
 */
export async function runJobSteps(steps: readonly WorkflowStep[], options: JobRunOptions): Promise<JobRun> {
  const result: JobRun = { failed: false, errors: [], output: '', outputs: {}, summary: '' };
  /** The context, with `env.*` and `steps.<id>.outcome` / `.conclusion` added as the job runs. */
  const context: ExpressionContext = { ...options.context };
  const sub = (value: unknown) => substitute(String(value), context, result.outputs);
  const workspace = options.workspace ?? process.cwd();
  /** Env from the workflow, the job and `GITHUB_ENV` lines of earlier steps. */
  const jobEnv: Record<string, string> = Object.fromEntries(
    Object.entries(options.jobEnv ?? {}).map(([k, v]) => [k, sub(v)]),
  );
  let index = 0;
  for (const step of steps) {
    index += 1;
    for (const [k, v] of Object.entries(jobEnv)) context[`env.${k}`] = v;
    const label = step.name ?? step.uses ?? step.run?.split('\n')[0] ?? '?';
    if (!stepRuns(step.if, result.failed, context, result.outputs)) {
      if (step.id) {
        context[`steps.${step.id}.outcome`] = 'skipped';
        context[`steps.${step.id}.conclusion`] = 'skipped';
      }
      continue;
    }
    const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, sub(v)]));
    const files = stepFiles(options.runnerTemp, index);
    const env = {
      ...options.env,
      ...jobEnv,
      RUNNER_TEMP: options.runnerTemp,
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: files.output,
      GITHUB_ENV: files.env,
      GITHUB_STEP_SUMMARY: files.summary,
      ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, sub(v)])),
    };
    let ok: boolean;
    if (step.run !== undefined) {
      const script = sub(step.run);
      const standIn = options.runStandIns?.find((s) => s.pattern.test(script.trim()));
      if (standIn) {
        ok = standIn.run(workspace, script.trim());
        result.output += `[stand-in for: ${script.trim()}]\n`;
      } else {
        ok = await runChild(
          'bash',
          ['--noprofile', '--norc', '-eo', 'pipefail', writeScript(files, script)],
          env,
          workspace,
          result,
        );
      }
    } else if (step.uses?.startsWith('./')) {
      const withDefaults = { ...actionDefaults(join(workspace, step.uses), sub), ...inputs };
      const run = options.localActions?.[step.uses];
      if (run) {
        if (!options.harness) throw new Error('workflow-run: an in-process local action needs a harness');
        const action = await options.harness.run(run, withDefaults, {
          ...options.env,
          ...jobEnv,
          RUNNER_TEMP: options.runnerTemp,
        });
        result.output += action.stdout;
        result.summary += action.summary;
        result.errors.push(...action.errors);
        if (step.id) result.outputs[step.id] = action.outputs;
        ok = !action.failed;
      } else {
        const main = join(workspace, step.uses, actionMain(join(workspace, step.uses)));
        const inputEnv = Object.fromEntries(
          Object.entries(withDefaults).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]),
        );
        ok = await runChild(process.execPath, [main], { ...env, ...inputEnv }, workspace, result);
      }
    } else {
      const name = step.uses?.split('@')[0] ?? '';
      const handler = options.remoteActions[name];
      if (!handler) throw new Error(`workflow-run: no handler given for ${step.uses}`);
      ok = handler(inputs) !== false;
    }
    if (!(step.uses?.startsWith('./') && options.localActions?.[step.uses])) {
      if (step.id) result.outputs[step.id] = parseSimpleOutputs(readFileSync(files.output, 'utf8'));
      result.summary += readFileSync(files.summary, 'utf8');
    }
    Object.assign(jobEnv, parseSimpleOutputs(readFileSync(files.env, 'utf8')));
    const continueOnError = step['continue-on-error'] === true;
    if (step.id) {
      context[`steps.${step.id}.outcome`] = ok ? 'success' : 'failure';
      context[`steps.${step.id}.conclusion`] = ok || continueOnError ? 'success' : 'failure';
    }
    if (!ok && !continueOnError && !result.failed) {
      result.failed = true;
      result.failedStep = label;
    }
  }
  return result;
}

interface StepFiles {
  output: string;
  env: string;
  summary: string;
  script: string;
}

/** Fresh GITHUB_OUTPUT, GITHUB_ENV and GITHUB_STEP_SUMMARY files of step `index`. */
function stepFiles(runnerTemp: string, index: number): StepFiles {
  const files = {
    output: join(runnerTemp, `step-${index}-output`),
    env: join(runnerTemp, `step-${index}-env`),
    summary: join(runnerTemp, `step-${index}-summary.md`),
    script: join(runnerTemp, `step-${index}.sh`),
  };
  for (const file of [files.output, files.env, files.summary]) writeFileSync(file, '');
  return files;
}

function writeScript(files: StepFiles, script: string): string {
  writeFileSync(files.script, script);
  return files.script;
}

/** `runs.main` of the action in `dir` (a `node…` action). */
function actionMain(dir: string): string {
  const metadata = parse(readFileSync(join(dir, 'action.yml'), 'utf8')) as {
    runs?: { using?: string; main?: string };
  };
  if (!metadata.runs?.using?.startsWith('node') || !metadata.runs.main)
    throw new Error(`workflow-run: ${dir}/action.yml is not a node action`);
  return metadata.runs.main;
}

/**
 * Runs a step's process in `cwd` with only `env` (and PATH, HOME); collects its output and errors.
 * Asynchronous, so servers in the test's own process (fakes, proxies) answer the step meanwhile.
 */
async function runChild(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  result: JobRun,
): Promise<boolean> {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const status = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  result.output += stdout + stderr;
  result.errors.push(...[...stdout.matchAll(/^::error(?: [^:]*)?::(.*)$/gm)].map((m) => decode(m[1]!)));
  if (status !== 0 && stderr.trim()) result.errors.push(stderr.trim());
  return status === 0;
}

/** Undoes the workflow-command escaping of `%`, CR and LF. */
function decode(text: string): string {
  return text.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');
}

/** The inputs a runner fills in from action.yml defaults (expressions substituted). */
function actionDefaults(uses: string, sub: (value: unknown) => string): Record<string, string> {
  const metadata = parse(readFileSync(join(uses, 'action.yml'), 'utf8')) as {
    inputs?: Record<string, { default?: unknown }>;
  };
  return Object.fromEntries(
    Object.entries(metadata.inputs ?? {})
      .filter(([, spec]) => spec.default !== undefined)
      .map(([name, spec]) => [name, sub(spec.default)]),
  );
}

/** `name=value` lines and `name<<delimiter` blocks of a GITHUB_OUTPUT file. */
function parseSimpleOutputs(text: string): Record<string, string> {
  const outputs = parseOutputs(text);
  for (const line of text.split('\n')) {
    const match = /^([^=<\n]+)=(.*)$/.exec(line);
    if (match) outputs[match[1]!] = match[2]!;
  }
  return outputs;
}

/**
 * {@link npmCiStandIn} for an `npm ci` inside a longer `run:` script (e.g. pr.yml's base-commit
 * step, `cd .base && npm ci … && node build/…`): an `npm` in `dir` that, for `npm ci`, links this
 * repository's node_modules into the current folder (the install, without the registry) and then
 * runs the package's own `prepare` script for real (what `npm ci` runs after installing; here
 * `npm run build`) unless `--ignore-scripts` is given; any other npm command goes to the real npm.
 * Returns the PATH for the steps' env, with `dir` first.
 */
export function npmCiShim(root: string, dir: string): string {
  const npm = execFileSync('bash', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim();
  mkdirSync(dir, { recursive: true });
  const script = [
    '#!/usr/bin/env bash',
    'set -eo pipefail',
    `real=${JSON.stringify(npm)}`,
    'if [ "$1" != ci ]; then exec "$real" "$@"; fi',
    'if [ -e node_modules ] || [ -L node_modules ]; then echo "npm ci shim: node_modules already there" >&2; exit 1; fi',
    `ln -s ${JSON.stringify(join(root, 'node_modules'))} node_modules`,
    'for arg in "$@"; do if [ "$arg" = --ignore-scripts ]; then exit 0; fi; done',
    'exec "$real" run prepare --if-present',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'npm'), script, { mode: 0o755 });
  return `${dir}:${process.env.PATH ?? ''}`;
}
