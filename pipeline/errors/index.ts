export { ConfigError, isConfigError } from './ConfigError.js';
export { InputError, isInputError } from './InputError.js';
export { isOppError, OppError } from './OppError.js';
export { isTrackingError, TrackingError } from './TrackingError.js';
