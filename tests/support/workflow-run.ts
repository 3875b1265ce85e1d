import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { data, Evaluator, type Expr, Lexer, Parser } from '@actions/expressions';
import { Binary, FunctionCall, Grouping, IndexAccess, Logical, Unary } from '@actions/expressions/ast';
import { truthy } from '@actions/expressions/result';
import { parse as parseYaml } from 'yaml';
import { type ActionHarness, parseOutputs } from './action-run.js';

/**
 * Runs one job of a workflow file the way the runner would, step by step, as written in the
 * YAML: `run:` scripts with `bash --noprofile --norc -eo pipefail` and the env the step
 * declares, local actions (`uses: ./actions/x`) through their `run()` with `INPUT_*` env
 * (action.yml defaults included) or, when the test gives no `run()` for one, as the runner
 * does: `node <workspace>/actions/x/<runs.main>` (the committed dist/) in a child process, and
 * third-party actions through handlers the test supplies. `GITHUB_OUTPUT`, `GITHUB_ENV` and
 * `GITHUB_STEP_SUMMARY` are files, read back after each step (`GITHUB_ENV` lines reach the
 * later steps). `${{ }}` expressions and `if:` conditions are evaluated by GitHub's own
 * evaluator (@actions/expressions) against `context` and earlier steps' outputs, with the
 * status functions as the runner answers them; a github, runner, matrix or job value the test
 * did not give fails the run, so a changed workflow cannot slip past the test unexercised.
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

/** A context value: workflow_dispatch boolean and number inputs are typed, the rest strings. */
type ContextValue = string | boolean | number;
/** Context values by dotted name (`runner.temp`, `github.event.workflow_run.head_sha`, …). */
export type ExpressionContext = Record<string, ContextValue>;

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
    {
      steps?: WorkflowStep[];
      env?: Record<string, unknown>;
      outputs?: Record<string, string>;
      if?: string;
      needs?: string | string[];
      strategy?: { matrix?: Record<string, unknown> };
    }
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
 * the job's `outputs:` (expressions, see {@link jobOutputs}), its `if:` (see {@link jobRuns}),
 * the jobs it needs and its `strategy.matrix` (as written: an expression is the caller's to evaluate).
 */
export function readJob(
  file: string,
  job: string,
): {
  steps: WorkflowStep[];
  env: Record<string, unknown>;
  outputs: Record<string, string>;
  if?: string;
  needs: string[];
  matrix?: Record<string, unknown>;
} {
  const workflow = parseYaml(readFileSync(file, 'utf8')) as WorkflowFile;
  const steps = workflow.jobs[job]?.steps;
  if (!steps) throw new Error(`${file}: job ${job} has no steps`);
  return {
    steps,
    env: { ...workflow.env, ...workflow.jobs[job]?.env },
    outputs: workflow.jobs[job]?.outputs ?? {},
    if: workflow.jobs[job]?.if,
    needs: [workflow.jobs[job]?.needs ?? []].flat(),
    matrix: workflow.jobs[job]?.strategy?.matrix,
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

/**
 * Top-level contexts whose unknown names read as null ('') as on GitHub: an unset secret,
 * variable or input, a step output or job output not written. Any other context (github,
 * runner, matrix, job, strategy) must name only what the test gave, so that an expression
 * the rehearsal does not exercise fails the run instead of silently reading ''.
 */
const LENIENT_CONTEXTS = new Set(['secrets', 'vars', 'inputs', 'env', 'steps', 'needs']);
const CONTEXTS = [
  'github',
  'inputs',
  'vars',
  'secrets',
  'env',
  'steps',
  'needs',
  'matrix',
  'job',
  'runner',
  'strategy',
];
/** The status check functions, which GitHub's evaluator leaves to the runner. */
const STATUS_FUNCTIONS = ['success', 'failure', 'always', 'cancelled'];

/** A context object whose missing keys fail the evaluation (see {@link LENIENT_CONTEXTS}). */
class StrictDictionary extends data.Dictionary {
  constructor(private readonly path: string) {
    super();
  }
  override get(key: string): data.ExpressionData | undefined {
    const value = super.get(key);
    if (value === undefined) throw new Error(`workflow-run: no value given for ${this.path}.${key}`);
    return value;
  }
}

type Tree = { [key: string]: Tree | ContextValue };

function toData(value: Tree | ContextValue, path: string, strict: boolean): data.ExpressionData {
  if (typeof value === 'string') return new data.StringData(value);
  if (typeof value === 'number') return new data.NumberData(value);
  if (typeof value === 'boolean') return new data.BooleanData(value);
  const dictionary = strict ? new StrictDictionary(path) : new data.Dictionary();
  for (const [key, child] of Object.entries(value))
    dictionary.add(key, toData(child, `${path}.${key}`, strict));
  return dictionary;
}

/**
 * The contexts of `context` (dotted names) and the job's step results, as the objects GitHub's
 * evaluator reads: `steps.<id>.outputs.*` from `outputs`, `steps.<id>.outcome` from `context`.
 */
function contextData(context: ExpressionContext, outputs: JobRun['outputs']): data.Dictionary {
  const tree: Tree = Object.fromEntries(CONTEXTS.map((name) => [name, {}]));
  const put = (name: string, value: ContextValue) => {
    const keys = name.split('.');
    let node = tree;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object') node[key] = {};
      node = node[key] as Tree;
    }
    node[keys.at(-1)!] = value;
  };
  for (const [id, values] of Object.entries(outputs))
    for (const [name, value] of Object.entries(values)) put(`steps.${id}.outputs.${name}`, value);
  for (const [name, value] of Object.entries(context)) put(name, value);
  const root = new data.Dictionary();
  for (const [name, value] of Object.entries(tree))
    root.add(name, toData(value, name, !LENIENT_CONTEXTS.has(name)));
  return root;
}

/** What the status functions answer: `always()` is true, `cancelled()` false (nothing is cancelled here). */
interface Status {
  success: boolean;
  failure: boolean;
}

function parse(expression: string): Expr {
  const { tokens } = new Lexer(expression).lex();
  return new Parser(
    tokens,
    CONTEXTS,
    STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 })),
  ).parse();
}

function evaluate(
  expr: Expr,
  context: ExpressionContext,
  outputs: JobRun['outputs'],
  status: Status = { success: true, failure: false },
): data.ExpressionData {
  const results: Record<string, boolean> = { ...status, always: true, cancelled: false };
  const functions = new Map(
    STATUS_FUNCTIONS.map((name) => [
      name,
      { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(results[name]!) },
    ]),
  );
  return new Evaluator(expr, contextData(context, outputs), functions).evaluate();
}

/** A value as `${{ }}` puts it in text: null is '', objects and arrays are JSON. */
function asText(value: data.ExpressionData): string {
  if (value.primitive) return value.kind === data.Kind.Null ? '' : value.coerceString();
  return JSON.stringify(value, data.replacer, 2);
}

/**
 * Evaluates `expression` with GitHub's evaluator (@actions/expressions, the code of
 * @actions/workflow-parser) against `context` and the steps' `outputs`, and gives the text
 * `${{ expression }}` becomes. Unset secrets, vars and inputs read as ''; see {@link LENIENT_CONTEXTS}.
 */
export function evaluateExpression(
  expression: string,
  context: ExpressionContext,
  outputs: JobRun['outputs'],
): string {
  return asText(evaluate(parse(expression), context, outputs));
}

/** Substitutes every `${{ … }}` in `text`. */
export function substitute(text: string, context: ExpressionContext, outputs: JobRun['outputs']): string {
  return text.replace(/\$\{\{\s*([\s\S]+?)\s*\}\}/g, (_, expression: string) =>
    evaluateExpression(expression, context, outputs),
  );
}

/** Whether `expr` calls a status function anywhere (the runner's test for the implicit `success() &&`). */
function callsStatusFunction(expr: Expr): boolean {
  if (expr instanceof FunctionCall)
    return (
      STATUS_FUNCTIONS.includes(expr.functionName.lexeme.toLowerCase()) || expr.args.some(callsStatusFunction)
    );
  if (expr instanceof Logical) return expr.args.some(callsStatusFunction);
  if (expr instanceof Binary) return callsStatusFunction(expr.left) || callsStatusFunction(expr.right);
  if (expr instanceof Unary) return callsStatusFunction(expr.expr);
  if (expr instanceof Grouping) return callsStatusFunction(expr.group);
  if (expr instanceof IndexAccess) return callsStatusFunction(expr.expr) || callsStatusFunction(expr.index);
  return false;
}

/**
 * Whether an `if:` (default `success()`) holds: written with or without `${{ }}`, and, when it
 * calls no status function, ANDed with `success()`, as the runner does for steps and jobs.
 */
function conditionHolds(
  condition: string | undefined,
  context: ExpressionContext,
  outputs: JobRun['outputs'],
  status: Status,
): boolean {
  const expr = parse((condition ?? 'success()').trim().replace(/^\$\{\{([\s\S]*)\}\}$/, '$1'));
  const value = truthy(evaluate(expr, context, outputs, status));
  return callsStatusFunction(expr) ? value : value && status.success;
}

/**
 * Whether a job runs: its `if:` against `context`, whose `needs.<job>.result` the status
 * functions read: `success()` when every needed job succeeded (a skipped one makes it false),
 * `failure()` when one failed. A job that does not run is `skipped` for the jobs needing it.
 */
export function jobRuns(condition: string | undefined, context: ExpressionContext): boolean {
  const results = Object.entries(context)
    .filter(([name]) => /^needs\.[^.]+\.result$/.test(name))
    .map(([, value]) => value);
  return conditionHolds(
    condition,
    context,
    {},
    {
      success: results.every((result) => result === 'success'),
      failure: results.some((result) => result === 'failure'),
    },
  );
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
    if (
      !conditionHolds(step.if, context, result.outputs, { success: !result.failed, failure: result.failed })
    ) {
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
  const metadata = parseYaml(readFileSync(join(dir, 'action.yml'), 'utf8')) as {
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
  const metadata = parseYaml(readFileSync(join(uses, 'action.yml'), 'utf8')) as {
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
