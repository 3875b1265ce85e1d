export { ConfigError, isConfigError } from './ConfigError.js';
export { InputError, isInputError } from './InputError.js';
export { isMetricsGateError, MetricsGateError } from './MetricsGateError.js';
export { isOppError, OppError } from './OppError.js';
