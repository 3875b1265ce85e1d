export { ConfigError, isConfigError } from './ConfigError.js';
export { GitHubApiError, isGitHubApiError } from './GitHubApiError.js';
export { InputError, isInputError } from './InputError.js';
export { isMetricsGateError, MetricsGateError } from './MetricsGateError.js';
export { isOppError, OppError } from './OppError.js';
