import { z } from 'zod';
import { ConfigError } from '../../pipeline/errors/ConfigError.js';
import { TrainingConfigSchema } from '../training-config.js';
import type { Distribution, ParamValue, SearchSpace } from './distributions.js';
import { loadSearchSpace } from './search-space.js';
import { MAX_SEARCHED_LAYERS } from './training-params.js';

const training = TrainingConfigSchema.shape.training.shape;
const layer = TrainingConfigSchema.shape.model.shape.hiddenLayers.element.shape;

/** A parameter `opp hpo` can search: the values it takes, and those values in words. */
interface TrainingParam {
  schema: z.ZodType;
  allowed: string;
}

const units: TrainingParam = { schema: layer.units, allowed: 'an integer from 1 to 65536' };

/**
 * The parameters of a training study, as a strict zod object: each takes the values the
 * training config takes for the setting it sets (`applyTrainingParams`); any other name is an
 * error (a typo would otherwise search nothing, every trial training the same network).
 */
export const TRAINING_PARAMS = {
  hiddenLayers: {
    schema: z.number().int().min(1).max(MAX_SEARCHED_LAYERS),
    allowed: `an integer from 1 to ${MAX_SEARCHED_LAYERS}`,
  },
  hiddenUnits: units,
  layer2Units: units,
  layer3Units: units,
  dropout: { schema: layer.dropout.unwrap(), allowed: 'a number in [0, 1)' },
  learningRate: { schema: training.learningRate, allowed: 'a number in (0, 1]' },
  batchSize: { schema: training.batchSize, allowed: 'an integer from 1 to 65536' },
  optimizer: {
    schema: training.optimizer.unwrap(),
    allowed: training.optimizer
      .unwrap()
      .options.map((o) => `"${o}"`)
      .join(', '),
  },
  weightDecay: { schema: training.weightDecay.unwrap(), allowed: 'a number ≥ 0' },
  rebalancing: {
    schema: training.rebalancing.unwrap(),
    allowed: training.rebalancing
      .unwrap()
      .options.map((o) => `"${o}"`)
      .join(', '),
  },
} as const satisfies Record<string, TrainingParam>;

export type TrainingParamName = keyof typeof TRAINING_PARAMS;

/** The trial parameters as one strict object (every member optional: a space may leave any out). */
export const TrainingParamsSchema = z
  .strictObject(
    Object.fromEntries(Object.entries(TRAINING_PARAMS).map(([name, p]) => [name, p.schema])) as {
      [K in TrainingParamName]: z.ZodType;
    },
  )
  .partial();

/** The values a distribution can reach at its ends (and every choice): what must be allowed. */
function reachable(distribution: Distribution): { value: ParamValue; where: string }[] {
  if (distribution.type === 'categorical')
    return distribution.choices.map((value) => ({ value, where: 'a choice' }));
  return [
    { value: distribution.low, where: 'low' },
    { value: distribution.high, where: 'high' },
  ];
}

/**
 * Checks a search space for a training study before any work: it has parameters, each is one
 * {@link TRAINING_PARAMS} knows, and every value it can take (a range's ends, each choice) is
 * one the training config takes (e.g. dropout in [0, 1), a known optimizer).
 *
 * @param source - names the space in errors (its file).
 * @throws ConfigError naming the parameter and what is allowed.
 */
export function checkTrainingSearchSpace(space: SearchSpace, source = 'search space'): void {
  const known = Object.keys(TRAINING_PARAMS).join(', ');
  if (space.params.length === 0)
    throw new ConfigError(
      `${source}: no parameters, so the study would search nothing (known: ${known})`,
      source,
    );
  const problems: string[] = [];
  for (const { name, distribution } of space.params) {
    for (const { value, where } of reachable(distribution)) {
      const parsed = TrainingParamsSchema.safeParse({ [name]: value });
      if (parsed.success) continue;
      const issue = parsed.error.issues[0]!;
      if (issue.code === 'unrecognized_keys') {
        problems.push(`parameter "${name}" is not a training parameter (known: ${known})`);
        break;
      }
      const allowed = TRAINING_PARAMS[name as TrainingParamName].allowed;
      const high =
        where === 'high' && distribution.type === 'float' ? ' (a range may reach its high end)' : '';
      problems.push(
        `parameter "${name}": ${where} ${JSON.stringify(value)} is not allowed${high}; allowed: ${allowed}`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(`${source}: ${problems.join('; ')}`, source);
}

/**
 * Reads a search-space file and checks it for a training study ({@link checkTrainingSearchSpace}).
 * @throws ConfigError naming the file, the parameter and what is allowed.
 */
export function loadTrainingSearchSpace(file: string): SearchSpace {
  const space = loadSearchSpace(file);
  checkTrainingSearchSpace(space, file);
  return space;
}
