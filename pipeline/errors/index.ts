export { ConfigError, isConfigError } from './ConfigError.js';
export { InputError, isInputError } from './InputError.js';
export { isLeaseHeldError, LeaseHeldError } from './LeaseHeldError.js';
export { isOppError, OppError } from './OppError.js';
export { isSourceError, SourceError } from './SourceError.js';
export { isStorageError, StorageError } from './StorageError.js';
export { isTrainingError, TrainingError } from './TrainingError.js';
