import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { TrackingError } from '../../errors/TrackingError.js';
import type { ParamValue } from '../tracker.js';

/** MLflow's limit on a param value (characters), since MLflow 2.x. */
export const MAX_PARAM_VALUE_LENGTH = 6000;
/** MLflow's limit on a key (param, metric or tag name). */
export const MAX_KEY_LENGTH = 250;
/** MLflow's name rule for params, metrics and tags: letters, digits, `_ - . / space`. */
const KEY_PATTERN = /^[\w\-./ ]+$/;

/**
 * Checks a param, metric or tag key as MLflow does, and that it cannot leave the run folder.
 *
 * @throws TrackingError naming the key.
 */
export function checkKey(kind: 'param' | 'metric' | 'tag', key: string): void {
  const bad =
    key.length === 0 ||
    key.length > MAX_KEY_LENGTH ||
    !KEY_PATTERN.test(key) ||
    key.startsWith('/') ||
    key.split('/').some((part) => part === '..' || part === '.' || part === '');
  if (bad)
    throw new TrackingError(
      `invalid ${kind} name ${JSON.stringify(key)}: use up to ${MAX_KEY_LENGTH} letters, digits, "_ - . /" or spaces, no empty or ".." path parts`,
      'INVALID_PARAMETER_VALUE',
    );
}

/** A param value as MLflow stores it (a string), checked against MLflow's length limit. */
export function paramText(key: string, value: ParamValue): string {
  const text = String(value);
  if (text.length > MAX_PARAM_VALUE_LENGTH)
    throw new TrackingError(
      `param ${key} is ${text.length} characters long; MLflow keeps at most ${MAX_PARAM_VALUE_LENGTH}`,
      'INVALID_PARAMETER_VALUE',
    );
  return text;
}

/** A new run id in MLflow's form (32 hex digits). Ids are not model randomness: not seeded. */
export function newRunId(): string {
  return randomUUID().replaceAll('-', '');
}

/** The OS user, for `mlflow.user` and `user_id`. */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** A default run name from the start time, e.g. `run-20261125-091812`. */
export function defaultRunName(startTime: number): string {
  return `run-${new Date(startTime).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`;
}
