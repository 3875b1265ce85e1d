export { ConfigError, isConfigError } from './ConfigError.js';
export { InputError, isInputError } from './InputError.js';
export { isOppError, OppError } from './OppError.js';
export { isStudyError, StudyError } from './StudyError.js';
export { isTrialPrunedError, TrialPrunedError } from './TrialPrunedError.js';
