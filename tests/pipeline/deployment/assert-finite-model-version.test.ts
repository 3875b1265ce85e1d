import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertFiniteModelVersion } from '../../../pipeline/deployment/assert-finite-model-version.js';
import { LocalModelRegistry } from '../../../pipeline/registry/LocalModelRegistry.js';
import { poisonWeights, registerUnchecked, writeTinyOutput } from '../../support/tiny-bundle.js';

describe('assertFiniteModelVersion (the deploy gate)', () => {
  it('passes a sound registered version and refuses one whose weights are NaN', async () => {
    const registry = new LocalModelRegistry(await mkdtemp(join(tmpdir(), 'opp-registry-')));
    const out = await writeTinyOutput();
    const sound = await registry.registerVersion('opp', out, {});
    await expect(assertFiniteModelVersion(registry, sound)).resolves.toBeUndefined();

    poisonWeights(join(out, '0'), 4);
    const version = await registerUnchecked(registry.root, 'opp', out);
    const broken = await registry.getVersion('opp', version);
    await expect(assertFiniteModelVersion(registry, broken)).rejects.toMatchObject({
      name: 'NonFiniteModelError',
      division: 0,
      tensor: 'layer 1 weights',
      message: expect.stringMatching(/layer 1 weights holds NaN at index 4/),
    });
  });
});
