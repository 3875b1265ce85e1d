import { z } from 'zod';
import { loadConfig, validateConfig } from '../../pipeline/config/load-config.js';
import { ConfigError } from '../../pipeline/errors/ConfigError.js';
import type { Distribution, ParamCondition, ParamSpec, ParamValue, SearchSpace } from './distributions.js';

const Choice = z.union([z.string(), z.number(), z.boolean()]);

const Condition = z.strictObject({
  /** The parent parameter. */
  param: z.string().min(1),
  /** The parent's values for which this parameter exists. */
  in: z.array(Choice).min(1).optional(),
  /** Least value of a numeric parent for which this parameter exists. */
  min: z.number().optional(),
  /** Largest value of a numeric parent for which this parameter exists. */
  max: z.number().optional(),
});

const Common = { description: z.string().optional(), when: Condition.optional() };
const Bounds = { low: z.number(), high: z.number() };

const ParamSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('uniform'), ...Bounds, ...Common }),
  z.strictObject({ type: z.literal('log-uniform'), ...Bounds, ...Common }),
  z.strictObject({ type: z.literal('quantized-uniform'), ...Bounds, step: z.number().positive(), ...Common }),
  z.strictObject({
    type: z.literal('int'),
    low: z.number().int(),
    high: z.number().int(),
    step: z.number().int().positive().optional(),
    log: z.boolean().optional(),
    ...Common,
  }),
  z.strictObject({ type: z.literal('categorical'), choices: z.array(Choice).min(1), ...Common }),
]);

type ParamJson = z.output<typeof ParamSchema>;

/**
 * `configs/search-space.json`: the hyper-parameters a study searches, by name, in the order
 * they are sampled. Checked fully (bounds, log scales, grids, conditions) when loaded, before
 * any trial runs.
 */
export const SearchSpaceSchema = z
  .strictObject({
    $schema: z.string().optional(),
    description: z.string().optional(),
    parameters: z
      .record(z.string().regex(/^[A-Za-z_][\w.-]*$/, 'a parameter name'), ParamSchema)
      .refine((parameters) => Object.keys(parameters).length > 0, {
        message: 'no parameters: the study would search nothing',
      }),
  })
  .superRefine((space, ctx) => {
    for (const [name, param] of Object.entries(space.parameters)) {
      for (const message of checkParam(name, param, space.parameters)) {
        ctx.addIssue({ code: 'custom', path: ['parameters', name, ...message.path], message: message.text });
      }
    }
    const cycle = findCycle(space.parameters);
    if (cycle) {
      ctx.addIssue({
        code: 'custom',
        path: ['parameters', cycle[0]!, 'when'],
        message: `conditions form a cycle: ${cycle.join(' → ')}`,
      });
    }
  });

export type SearchSpaceJson = z.output<typeof SearchSpaceSchema>;

interface ParamProblem {
  path: (string | number)[];
  text: string;
}

function checkParam(name: string, param: ParamJson, all: Record<string, ParamJson>): ParamProblem[] {
  const problems: ParamProblem[] = [];
  if (param.type !== 'categorical') {
    if (!(param.low < param.high)) {
      problems.push({ path: ['high'], text: `empty range: high must be greater than low (${param.low})` });
    }
    if ((param.type === 'log-uniform' || (param.type === 'int' && param.log)) && param.low <= 0) {
      problems.push({ path: ['low'], text: 'a log scale needs low > 0' });
    }
    if (param.type === 'int' && param.log && param.step !== undefined && param.step !== 1) {
      problems.push({ path: ['step'], text: 'a log-scaled int must have step 1' });
    }
    const step = param.type === 'quantized-uniform' || param.type === 'int' ? param.step : undefined;
    if (step !== undefined && param.low < param.high) {
      const k = (param.high - param.low) / step;
      if (Math.abs(k - Math.round(k)) > 1e-9) {
        problems.push({
          path: ['step'],
          text: `high − low (${param.high - param.low}) must be a multiple of step`,
        });
      }
    }
  } else if (new Set(param.choices).size !== param.choices.length) {
    problems.push({ path: ['choices'], text: 'choices must be distinct' });
  }
  const when = param.when;
  if (when) {
    const parent = all[when.param];
    if (when.param === name) {
      problems.push({ path: ['when', 'param'], text: 'a parameter cannot be conditioned on itself' });
    } else if (!parent) {
      const known = Object.keys(all).join(', ');
      problems.push({ path: ['when', 'param'], text: `condition on an unknown parameter (known: ${known})` });
    } else {
      problems.push(...checkCondition(when, parent));
    }
  }
  return problems;
}

function checkCondition(when: z.output<typeof Condition>, parent: ParamJson): ParamProblem[] {
  const problems: ParamProblem[] = [];
  if (when.in === undefined && when.min === undefined && when.max === undefined) {
    problems.push({ path: ['when'], text: 'a condition needs "in", "min" or "max"' });
  }
  if (parent.type === 'categorical') {
    if (when.min !== undefined || when.max !== undefined) {
      problems.push({
        path: ['when'],
        text: `"min"/"max" need a numeric parent, but "${when.param}" is categorical`,
      });
    }
    for (const value of when.in ?? []) {
      if (!parent.choices.includes(value)) {
        problems.push({
          path: ['when', 'in'],
          text: `${JSON.stringify(value)} is not a choice of "${when.param}"`,
        });
      }
    }
  } else {
    for (const value of when.in ?? []) {
      if (typeof value !== 'number' || value < parent.low || value > parent.high) {
        problems.push({
          path: ['when', 'in'],
          text: `${JSON.stringify(value)} is outside "${when.param}"'s range`,
        });
      }
    }
    if (when.min !== undefined && when.min > parent.high) {
      problems.push({
        path: ['when', 'min'],
        text: `"${when.param}" never reaches ${when.min}: the parameter would never exist`,
      });
    }
    if (when.max !== undefined && when.max < parent.low) {
      problems.push({
        path: ['when', 'max'],
        text: `"${when.param}" never goes down to ${when.max}: the parameter would never exist`,
      });
    }
  }
  return problems;
}

function findCycle(all: Record<string, ParamJson>): string[] | undefined {
  for (const start of Object.keys(all)) {
    const seen = [start];
    for (let at = all[start]?.when?.param; at !== undefined && all[at]; at = all[at]?.when?.param) {
      if (at === start) return [...seen, at];
      if (seen.includes(at)) break;
      seen.push(at);
    }
  }
  return undefined;
}

/** Converts a validated config to a {@link SearchSpace}, parents before the parameters that depend on them. */
export function toSearchSpace(json: SearchSpaceJson): SearchSpace {
  const remaining = Object.entries(json.parameters);
  const params: ParamSpec[] = [];
  const placed = new Set<string>();
  while (remaining.length > 0) {
    const index = remaining.findIndex(([, p]) => !p.when || placed.has(p.when.param));
    if (index < 0) throw new ConfigError('search space conditions form a cycle');
    const [name, param] = remaining.splice(index, 1)[0]!;
    params.push({
      name,
      distribution: toDistribution(param),
      ...(param.when ? { when: toCondition(param.when) } : {}),
    });
    placed.add(name);
  }
  return { params };
}

function toDistribution(param: ParamJson): Distribution {
  switch (param.type) {
    case 'uniform':
      return { type: 'float', low: param.low, high: param.high, log: false };
    case 'log-uniform':
      return { type: 'float', low: param.low, high: param.high, log: true };
    case 'quantized-uniform':
      return { type: 'float', low: param.low, high: param.high, log: false, step: param.step };
    case 'int':
      return {
        type: 'int',
        low: param.low,
        high: param.high,
        log: param.log ?? false,
        step: param.step ?? 1,
      };
    case 'categorical':
      return { type: 'categorical', choices: [...param.choices] };
  }
}

function toCondition(when: z.output<typeof Condition>): ParamCondition {
  const condition: { param: string; in?: ParamValue[]; min?: number; max?: number } = { param: when.param };
  if (when.in) condition.in = [...when.in];
  if (when.min !== undefined) condition.min = when.min;
  if (when.max !== undefined) condition.max = when.max;
  return condition;
}

/**
 * Reads and checks a search-space file.
 *
 * @throws ConfigError naming the file, the JSON path and the problem (empty range, log bound
 * ≤ 0, unknown type, condition on an unknown parameter, …).
 */
export function loadSearchSpace(file: string): SearchSpace {
  return toSearchSpace(loadConfig(file, SearchSpaceSchema));
}

/** Checks an already-parsed search space; `source` names it in errors. @throws ConfigError */
export function parseSearchSpace(value: unknown, source = 'search space'): SearchSpace {
  return toSearchSpace(validateConfig(value, SearchSpaceSchema, source));
}
