import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type ActionHarness, parseOutputs } from './action-run.js';

/**
 * Runs one job of a workflow file the way the runner would, step by step, as written in the
 * YAML: `run:` scripts with `bash --noprofile --norc -eo pipefail` and the env the step
 * declares, local actions (`uses: ./actions/x`) through their `run()` with `INPUT_*` env
 * (action.yml defaults included), and third-party actions through handlers the test supplies.
 * `${{ }}` expressions are substituted from `context` and earlier steps' outputs; an
 * expression this small evaluator does not know fails the run, so a changed workflow cannot
 * slip past the test unexercised.
 */

export interface WorkflowStep {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  if?: string;
}

/** Context values by dotted name (`runner.temp`, `github.event.workflow_run.head_sha`, …). */
export type ExpressionContext = Record<string, string>;

export interface JobRunOptions {
  context: ExpressionContext;
  /** Env every step sees (GITHUB_REPOSITORY, GITHUB_API_URL, …), beside GITHUB_OUTPUT and RUNNER_TEMP. */
  env: Record<string, string>;
  /** The runner's temp folder (`runner.temp`). */
  runnerTemp: string;
  /** Local actions by `uses:` path: their `run()`. */
  localActions: Record<string, () => Promise<void>>;
  /** Third-party actions by name (`owner/repo`, without the ref): what the step does here. */
  remoteActions: Record<string, (inputs: Record<string, string>) => void>;
  harness: ActionHarness;
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
}

/** The steps of `job` in `file`. */
export function readJobSteps(file: string, job: string): WorkflowStep[] {
  const workflow = parse(readFileSync(file, 'utf8')) as { jobs: Record<string, { steps?: WorkflowStep[] }> };
  const steps = workflow.jobs[job]?.steps;
  if (!steps) throw new Error(`${file}: job ${job} has no steps`);
  return steps;
}

/** Evaluates the expressions pr-comment-like workflows use: context names, step outputs, '…', ==, !=. */
export function evaluateExpression(
  expression: string,
  context: ExpressionContext,
  outputs: JobRun['outputs'],
): string {
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
  throw new Error(`workflow-run: unsupported expression \${{ ${text} }}`);
}

/** Substitutes every `${{ … }}` in `text`. */
export function substitute(text: string, context: ExpressionContext, outputs: JobRun['outputs']): string {
  return text.replace(/\$\{\{\s*([\s\S]+?)\s*\}\}/g, (_, expression: string) =>
    evaluateExpression(expression, context, outputs),
  );
}

/** Runs `steps` in order until one fails (no step here has `if: always()`). */
export async function runJobSteps(steps: readonly WorkflowStep[], options: JobRunOptions): Promise<JobRun> {
  const result: JobRun = { failed: false, errors: [], output: '', outputs: {} };
  const sub = (value: unknown) => substitute(String(value), options.context, result.outputs);
  for (const step of steps) {
    const label = step.name ?? step.uses ?? step.run?.split('\n')[0] ?? '?';
    if (step.if !== undefined) throw new Error(`workflow-run: step ${label} has an if:, not supported`);
    const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, sub(v)]));
    let ok: boolean;
    if (step.run !== undefined) {
      ok = runScript(sub(step.run), step, sub, options, result);
    } else if (step.uses?.startsWith('./')) {
      const run = options.localActions[step.uses];
      if (!run) throw new Error(`workflow-run: no local action given for ${step.uses}`);
      const withDefaults = { ...actionDefaults(step.uses, sub), ...inputs };
      const env = { ...options.env, RUNNER_TEMP: options.runnerTemp };
      const action = await options.harness.run(run, withDefaults, env);
      result.output += action.stdout;
      result.errors.push(...action.errors);
      if (step.id) result.outputs[step.id] = action.outputs;
      ok = !action.failed;
    } else {
      const name = step.uses?.split('@')[0] ?? '';
      const handler = options.remoteActions[name];
      if (!handler) throw new Error(`workflow-run: no handler given for ${step.uses}`);
      handler(inputs);
      ok = true;
    }
    if (!ok) {
      result.failed = true;
      result.failedStep = label;
      break;
    }
  }
  return result;
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

function runScript(
  script: string,
  step: WorkflowStep,
  sub: (value: unknown) => string,
  options: JobRunOptions,
  result: JobRun,
): boolean {
  const outputFile = join(options.runnerTemp, `github-output-${step.id ?? 'step'}`);
  const scriptFile = join(options.runnerTemp, `step-${step.id ?? 'step'}.sh`);
  writeFileSync(outputFile, '');
  writeFileSync(scriptFile, script);
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...options.env,
    RUNNER_TEMP: options.runnerTemp,
    GITHUB_WORKSPACE: process.cwd(),
    GITHUB_OUTPUT: outputFile,
    ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, sub(v)])),
  };
  const child = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', scriptFile], {
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  result.output += child.stdout + child.stderr;
  result.errors.push(...[...child.stdout.matchAll(/^::error(?: [^:]*)?::(.*)$/gm)].map((m) => m[1]!));
  if (child.status !== 0 && child.stderr.trim()) result.errors.push(child.stderr.trim());
  if (step.id) result.outputs[step.id] = parseSimpleOutputs(readFileSync(outputFile, 'utf8'));
  return child.status === 0;
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
