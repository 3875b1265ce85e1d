import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSearchSpace } from '../../../model/hpo/search-space.js';
import { loadTrainingConfig, TrainingConfigSchema } from '../../../model/training-config.js';
import { loadDivisionsConfig } from '../../../pipeline/config/divisions-config.js';
import { loadGateConfig } from '../../../pipeline/config/gate-config.js';
import { jsonPath, loadConfig } from '../../../pipeline/config/load-config.js';
import { ConfigError } from '../../../pipeline/errors/ConfigError.js';
import { loadFeatureSpec } from '../../../pipeline/features/feature-spec.js';
import { defaultConfigPath, PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';

const dir = mkdtempSync(join(tmpdir(), 'opp-config-'));
function configFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function errorOf(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('the shipped configs', () => {
  it('all load and validate', () => {
    const production = loadTrainingConfig(defaultConfigPath('production.json'));
    expect(production.model.hiddenLayers).toEqual([{ units: 384, activation: 'relu', dropout: 0.1019 }]);
    expect(production.training).toMatchObject({
      learningRate: 7.2038e-4,
      weightDecay: 8.676e-4,
      batchSize: 64,
      maxEpochs: 50,
      patience: 8,
      lrSchedule: { reduceOnPlateau: { factor: 0.3, patience: 2 } },
      inputEncoding: 'auto',
      seed: 42,
    });
    expect(production.evaluation).toMatchObject({ testFraction: 0.2, folds: 5 });
    // A division possibly worse is flagged for review, not failed, unless a team says so.
    expect(loadGateConfig(defaultConfigPath('gate.json')).nonInferiority.auc?.possiblyWorse).toBe('flag');
    expect(loadGateConfig(defaultConfigPath('gate.json')).minimum).toEqual({
      accuracy: 0.85,
      auc: 0.65,
      precision: 0.8,
      recall: 0.7,
      f1: 0.7,
    });
    expect(loadFeatureSpec(join(PACKAGE_ROOT, 'configs/examples/maven-crm-features.json')).source).toBe(
      'table',
    );
  });

  it("keeps the feature spec's divisions equal to configs/divisions.json", () => {
    const divisions = loadDivisionsConfig(defaultConfigPath('divisions.json')).divisions.map((d) => d.id);
    expect(loadFeatureSpec(defaultConfigPath('features.json')).division.allowed).toEqual(divisions);
    expect(divisions).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('has no config file that no loader reads', () => {
    expect(
      readdirSync(join(PACKAGE_ROOT, 'configs'))
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual([
      'deployment.json',
      'divisions.json',
      'features.json',
      'gate.json',
      'production.json',
      'search-space.json',
    ]);
  });

  it('loads the example configs and the search space', () => {
    expect(loadGateConfig(join(PACKAGE_ROOT, 'configs/examples/gate-sample-data.json')).minimum.auc).toBe(
      0.65,
    );
    expect(loadSearchSpace(defaultConfigPath('search-space.json')).params.map((p) => p.name)).toContain(
      'learningRate',
    );
  });
});

describe('config errors name the file, the JSON path and what was expected', () => {
  const production = JSON.parse(
    JSON.stringify(
      TrainingConfigSchema.parse(JSON.parse(readFileSync(defaultConfigPath('production.json'), 'utf8'))),
    ),
  );

  it('on an unknown key', () => {
    const file = configFile(
      'unknown-key.json',
      JSON.stringify({ ...production, training: { ...production.training, learningrate: 0.1 } }),
    );
    const error = errorOf(() => loadTrainingConfig(file));
    expect(error.message).toContain(file);
    expect(error.message).toContain('$.training: unknown key "learningrate"');
    expect(error.file).toBe(file);
  });

  it('on a value of the wrong type', () => {
    const file = configFile(
      'wrong-type.json',
      JSON.stringify({ ...production, training: { ...production.training, batchSize: '64' } }),
    );
    expect(errorOf(() => loadTrainingConfig(file)).message).toMatch(
      /\$\.training\.batchSize: .*expected number.*\(got "64"\)/,
    );
  });

  it('on a value out of range', () => {
    const file = configFile('out-of-range.json', JSON.stringify({ minimum: { auc: 1.5 } }));
    expect(errorOf(() => loadGateConfig(file)).message).toMatch(/\$\.minimum\.auc: .*<=1.*\(got 1\.5\)/);
  });

  it('on a possiblyWorse that is neither "flag" nor "fail"', () => {
    const file = configFile(
      'possibly-worse.json',
      JSON.stringify({ nonInferiority: { auc: { margin: 0.01, possiblyWorse: 'block' } } }),
    );
    expect(errorOf(() => loadGateConfig(file)).message).toMatch(
      /\$\.nonInferiority\.auc\.possiblyWorse: .*"flag"\|"fail".*\(got "block"\)/,
    );
  });

  it('on a missing required key', () => {
    const { model: _, ...rest } = production;
    const file = configFile('missing.json', JSON.stringify(rest));
    expect(errorOf(() => loadTrainingConfig(file)).message).toContain(
      '$.model: Invalid input: expected object, received undefined (missing)',
    );
  });

  it('on a JSON syntax error, with line and column', () => {
    const file = configFile('syntax.json', '{\n  "minimum": {\n    "auc": 0.7,\n  }\n}\n');
    const message = errorOf(() => loadGateConfig(file)).message;
    expect(message).toContain(`${file}: invalid JSON`);
    expect(message).toMatch(/line 4, column 3/);
  });

  it('on a missing file', () => {
    expect(errorOf(() => loadGateConfig(join(dir, 'nope.json'))).message).toMatch(
      /nope\.json: cannot read config file/,
    );
  });

  it('on a feature spec error deep in a list', () => {
    const spec = JSON.parse(readFileSync(defaultConfigPath('features.json'), 'utf8'));
    spec.features[2].units.acre = -1;
    const file = configFile('spec.json', JSON.stringify(spec));
    expect(errorOf(() => loadFeatureSpec(file)).message).toMatch(
      /\$\.features\[2\]\.units\.acre: .*>0.*\(got -1\)/,
    );
  });

  it('formats paths the way jq would', () => {
    expect(jsonPath(['a', 0, 'b-c', 'd'])).toBe('$.a[0]["b-c"].d');
  });

  it('validates any schema given', () => {
    const file = configFile('generic.json', '[1, 2]');
    expect(() => loadConfig(file, TrainingConfigSchema)).toThrow(/expected object, received array/);
  });
});
