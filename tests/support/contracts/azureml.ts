import { fileURLToPath } from 'node:url';
import { SwaggerContract } from './swagger.js';

const contracts = fileURLToPath(new URL('../../contracts/', import.meta.url));

/** The Azure ML REST api-version opp speaks, and whose description the fake checks against. */
export const AZUREML_CONTRACT_VERSION = '2024-04-01';

let cached: SwaggerContract | undefined;

/**
 * The Azure ML 2024-04-01 description (mfe.json), with the ARM common types it refers to
 * (tests/contracts/…/SOURCE.md has where each file comes from).
 */
export function azureMlContract(): SwaggerContract {
  cached ??= new SwaggerContract({
    'mfe.json': `${contracts}azure-machinelearningservices/${AZUREML_CONTRACT_VERSION}/mfe.json`,
    'types.json': `${contracts}azure-common-types/resource-management/v3/types.json`,
    'machineLearningServices.json': `${contracts}azure-machinelearningservices/${AZUREML_CONTRACT_VERSION}/machineLearningServices.parameters.json`,
  });
  return cached;
}
