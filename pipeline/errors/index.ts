export { AzureMlError, isAzureMlError } from './AzureMlError.js';
export { ConfigError, isConfigError } from './ConfigError.js';
export { DeploymentError, isDeploymentError } from './DeploymentError.js';
export { InputError, isInputError } from './InputError.js';
export { isOppError, OppError } from './OppError.js';
export { isRegistryError, RegistryError } from './RegistryError.js';
