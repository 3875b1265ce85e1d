import { describe, expect, it } from 'vitest';
import { DeploymentConfigSchema } from '../../../pipeline/config/deployment-config.js';
import { rolloutEndpoints, rolloutOptions } from '../../../pipeline/deployment/rollout-plan.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';

const divisionsConfig = defaultConfigPath('divisions.json');
const single = DeploymentConfigSchema.parse({ endpoint: 'opp-ep' });
const perDivision = DeploymentConfigSchema.parse({ endpoint: 'opp-ep', divisions: { mode: 'per-division' } });

describe('rolloutEndpoints', () => {
  it('is the one endpoint in single-endpoint mode, renamed by an override', () => {
    expect(rolloutEndpoints(single, { divisionsConfig })).toEqual([{ name: 'opp-ep' }]);
    expect(rolloutEndpoints(single, { divisionsConfig, endpoint: 'other' })).toEqual([{ name: 'other' }]);
  });

  it('is one endpoint per division of the divisions config in per-division mode', () => {
    const endpoints = rolloutEndpoints(perDivision, { divisionsConfig });
    expect(endpoints.map((e) => e.name)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((d) => `opp-ep-d${d}`));
    expect(endpoints[3]).toEqual({ name: 'opp-ep-d3', division: 3 });
  });

  it('narrows to one division, refusing a division the config lacks or a single endpoint', () => {
    expect(rolloutEndpoints(perDivision, { divisionsConfig, division: 5 })).toEqual([
      { name: 'opp-ep-d5', division: 5 },
    ]);
    expect(() => rolloutEndpoints(perDivision, { divisionsConfig, division: 9 })).toThrow(
      /division 9 is not in .*divisions\.json \(0, 1, 2, 3, 4, 5, 6, 7\)/,
    );
    expect(() => rolloutEndpoints(single, { divisionsConfig, division: 2 })).toThrow(
      /division 2: the deployment config is single-endpoint/,
    );
  });
});

describe('rolloutOptions', () => {
  it('takes the config in milliseconds unless the caller overrides it', () => {
    const fromConfig = rolloutOptions(single, { divisionsConfig }, { name: 'opp-ep' });
    expect(fromConfig).toMatchObject({ steps: [10, 100], stepWaitMs: 60_000, keepDeployments: 2 });
    expect(fromConfig).not.toHaveProperty('division');
    const overridden = rolloutOptions(
      single,
      { divisionsConfig, steps: [50, 100], stepWaitSeconds: 2, keep: 4 },
      { name: 'opp-ep-d3', division: 3 },
    );
    expect(overridden).toMatchObject({ steps: [50, 100], stepWaitMs: 2000, keepDeployments: 4, division: 3 });
  });
});
