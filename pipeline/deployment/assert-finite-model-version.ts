import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertFiniteModelsIn } from '../../model/bundle/assert-finite-models-in.js';
import type { ModelRegistry, ModelVersion } from '../registry/model-registry.js';

/**
 * The deploy gate against broken models: downloads the registered version into a temporary
 * folder and loads every bundle in it (`assertFiniteModelsIn`), before any deployment is created
 * or any traffic moves. A version registered before the registry checked weights, or by another
 * tool, is refused here.
 *
 * @throws NonFiniteModelError naming the bundle, division and tensor of a NaN or ±Infinity.
 */
export async function assertFiniteModelVersion(registry: ModelRegistry, model: ModelVersion): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'opp-deploy-check-'));
  try {
    await registry.downloadVersion(model.name, model.version, dir);
    await assertFiniteModelsIn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
