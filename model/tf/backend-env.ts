/**
 * Environment variable that picks the tfjs backend (overridden by an explicit option). Its own
 * module, free of tfjs, so job specs can name it without loading tfjs.
 */
export const BACKEND_ENV = 'OPP_BACKEND';
