import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSearchSpace, parseSearchSpace } from '../../../model/hpo/search-space.js';
import { isConfigError } from '../../../pipeline/errors/ConfigError.js';
import { PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';

function errorOf(value: unknown): string {
  try {
    parseSearchSpace(value, 'space.json');
  } catch (error) {
    expect(isConfigError(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('search space config', () => {
  it('loads the seed space with per-layer sizes conditioned on the layer count, parents first', () => {
    const space = loadSearchSpace(join(PACKAGE_ROOT, 'configs', 'search-space.json'));
    const names = space.params.map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'hiddenLayers',
        'hiddenUnits',
        'layer2Units',
        'layer3Units',
        'dropout',
        'learningRate',
      ]),
    );
    expect(names.indexOf('hiddenLayers')).toBeLessThan(names.indexOf('layer2Units'));
    const layer3 = space.params.find((p) => p.name === 'layer3Units')!;
    expect(layer3.when).toEqual({ param: 'hiddenLayers', min: 3 });
    expect(space.params.find((p) => p.name === 'learningRate')!.distribution).toEqual({
      type: 'float',
      low: 1e-5,
      high: 0.1,
      log: true,
    });
  });

  it('orders a child declared before its parent after the parent', () => {
    const space = parseSearchSpace({
      parameters: {
        width: { type: 'int', low: 1, high: 4, when: { param: 'deep', in: [true] } },
        deep: { type: 'categorical', choices: [true, false] },
      },
    });
    expect(space.params.map((p) => p.name)).toEqual(['deep', 'width']);
  });

  it('rejects an empty range, naming the parameter', () => {
    expect(errorOf({ parameters: { lr: { type: 'uniform', low: 1, high: 1 } } })).toMatch(
      /\$\.parameters\.lr\.high: empty range/,
    );
  });

  it('rejects a log scale with a bound at or below zero', () => {
    expect(errorOf({ parameters: { lr: { type: 'log-uniform', low: 0, high: 1 } } })).toMatch(
      /\$\.parameters\.lr\.low: a log scale needs low > 0/,
    );
    expect(errorOf({ parameters: { n: { type: 'int', low: -2, high: 8, log: true } } })).toMatch(
      /log scale needs low > 0/,
    );
  });

  it('rejects an unknown parameter type', () => {
    expect(errorOf({ parameters: { lr: { type: 'loguniform', low: 1e-4, high: 1 } } })).toMatch(
      /\$\.parameters\.lr\.type/,
    );
  });

  it('rejects a condition on an unknown parameter and lists the known ones', () => {
    expect(
      errorOf({
        parameters: {
          layers: { type: 'int', low: 1, high: 3 },
          units2: { type: 'int', low: 8, high: 64, when: { param: 'layer', min: 2 } },
        },
      }),
    ).toMatch(
      /\$\.parameters\.units2\.when\.param: condition on an unknown parameter \(known: layers, units2\)/,
    );
  });

  it('rejects conditions that form a cycle or can never hold', () => {
    expect(
      errorOf({
        parameters: {
          a: { type: 'int', low: 1, high: 3, when: { param: 'b', min: 2 } },
          b: { type: 'int', low: 1, high: 3, when: { param: 'a', min: 2 } },
        },
      }),
    ).toMatch(/cycle: a → b → a/);
    expect(
      errorOf({
        parameters: {
          opt: { type: 'categorical', choices: ['adam', 'sgd'] },
          momentum: { type: 'uniform', low: 0, high: 1, when: { param: 'opt', in: ['rmsprop'] } },
          extra: { type: 'uniform', low: 0, high: 1, when: { param: 'opt', min: 4 } },
        },
      }),
    ).toMatch(/"rmsprop" is not a choice of "opt"[\s\S]*"min"\/"max" need a numeric parent/);
  });

  it('rejects a step that does not divide the range, duplicate choices and unknown keys', () => {
    expect(errorOf({ parameters: { d: { type: 'quantized-uniform', low: 0, high: 1, step: 0.3 } } })).toMatch(
      /multiple of step/,
    );
    expect(errorOf({ parameters: { o: { type: 'categorical', choices: ['a', 'a'] } } })).toMatch(/distinct/);
    expect(errorOf({ parameters: { o: { type: 'uniform', low: 0, high: 1, hihg: 2 } } })).toMatch(
      /unknown key "hihg"/,
    );
  });
});
