import { describe, expect, it } from 'vitest';
import { DeploymentConfigSchema, loadDeploymentConfig } from '../../../pipeline/config/deployment-config.js';
import { validateConfig } from '../../../pipeline/config/load-config.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';

describe('deployment config', () => {
  it('loads configs/deployment.json', () => {
    const config = loadDeploymentConfig(defaultConfigPath('deployment.json'));
    expect(config.traffic.steps).toEqual([10, 100]);
    expect(config.divisions.mode).toBe('single-endpoint');
    expect(config.local?.serverCommand[0]).toBe('node');
  });

  it('fills defaults for a minimal config', () => {
    const config = validateConfig({ endpoint: 'opp-scoring' }, DeploymentConfigSchema, 'inline');
    expect(config).toMatchObject({
      target: 'local',
      keepDeployments: 2,
      traffic: { steps: [10, 100], maxErrorRate: 0.01 },
    });
  });

  it('names the JSON path of bad traffic steps and unknown keys', () => {
    expect(() =>
      validateConfig(
        { endpoint: 'opp-scoring', traffic: { steps: [50, 20] }, extra: 1 },
        DeploymentConfigSchema,
        'd.json',
      ),
    ).toThrow(
      /\$\.traffic\.steps\[1\]: steps must increase[\s\S]*the last step must be 100|unknown key "extra"/,
    );
    expect(() => validateConfig({ endpoint: '1bad' }, DeploymentConfigSchema, 'd.json')).toThrow(
      /\$\.endpoint/,
    );
  });
});
