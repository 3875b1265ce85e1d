import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSearchSpace } from '../../../model/hpo/search-space.js';
import { Study } from '../../../model/hpo/study.js';
import {
  checkTrainingSearchSpace,
  loadTrainingSearchSpace,
} from '../../../model/hpo/training-search-space.js';
import { isConfigError } from '../../../pipeline/errors/ConfigError.js';
import { isStudyError } from '../../../pipeline/errors/StudyError.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';
import { runCli } from '../../support/run-cli.js';

function trainingErrorOf(parameters: Record<string, unknown>): string {
  try {
    checkTrainingSearchSpace(parseSearchSpace({ parameters }, 'space.json'), 'space.json');
  } catch (error) {
    expect(isConfigError(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('checkTrainingSearchSpace', () => {
  it('accepts the seed search space', () => {
    expect(loadTrainingSearchSpace(defaultConfigPath('search-space.json')).params).toHaveLength(10);
  });

  it('refuses an unknown parameter (a typo), naming it and the known ones', () => {
    const message = trainingErrorOf({ learningrate: { type: 'log-uniform', low: 1e-4, high: 0.1 } });
    expect(message).toMatch(
      /^space\.json: parameter "learningrate" is not a training parameter \(known: hiddenLayers, /,
    );
    expect(message).toContain('learningRate');
  });

  it.each([
    [
      { type: 'uniform', low: 0, high: 1 },
      /parameter "dropout": high 1 is not allowed .*; allowed: a number in \[0, 1\)/,
    ],
    [
      { type: 'uniform', low: -0.1, high: 0.5 },
      /parameter "dropout": low -0\.1 is not allowed; allowed: a number in \[0, 1\)/,
    ],
    [{ type: 'categorical', choices: [0.1, 1.5] }, /parameter "dropout": a choice 1\.5 is not allowed/],
  ])('refuses dropout outside [0, 1): %j', (dropout, expected) => {
    expect(trainingErrorOf({ dropout })).toMatch(expected);
  });

  it('refuses an unknown optimizer, listing the known ones', () => {
    expect(trainingErrorOf({ optimizer: { type: 'categorical', choices: ['adam', 'rmsprop'] } })).toMatch(
      /parameter "optimizer": a choice "rmsprop" is not allowed; allowed: "adam", "adamw", "sgd"/,
    );
  });

  it('refuses more hidden layers than a trial can build', () => {
    expect(trainingErrorOf({ hiddenLayers: { type: 'int', low: 1, high: 5 } })).toMatch(
      /parameter "hiddenLayers": high 5 is not allowed; allowed: an integer from 1 to 3/,
    );
  });
});

describe('an empty search space', () => {
  it('is refused when parsed', () => {
    expect(() => parseSearchSpace({ parameters: {} }, 'space.json')).toThrow(
      /^space\.json: does not match its schema:\n {2}\$\.parameters: no parameters: the study would search nothing/,
    );
  });

  it('is refused by Study.open before anything is stored', async () => {
    const error = await Study.open({ name: 'empty', space: { params: [] } }).catch((e: unknown) => e);
    expect(isStudyError(error)).toBe(true);
    expect((error as Error).message).toMatch(/study "empty": the search space has no parameters/);
  });
});

describe('opp hpo', () => {
  const saved = process.env.OPP_HOME;
  afterEach(() => {
    process.env.OPP_HOME = saved;
  });

  it('fails on a bad search space before any work, naming the parameter', async () => {
    const home = mkdtempSync(join(tmpdir(), 'opp-hpo-space-'));
    process.env.OPP_HOME = home;
    const space = join(home, 'space.json');
    writeFileSync(space, JSON.stringify({ parameters: { dropuot: { type: 'uniform', low: 0, high: 0.5 } } }));
    const run = await runCli([
      'hpo',
      '--study',
      'typo',
      '--space',
      space,
      '--data',
      join(home, 'none.jsonl'),
      '--trials',
      '2',
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/parameter "dropuot" is not a training parameter \(known: .*dropout/);
    expect(existsSync(join(home, 'studies'))).toBe(false);
  });
});
