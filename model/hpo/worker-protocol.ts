import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Params } from './distributions.js';
import type { ObjectiveFactory, ObjectiveFunction, ObjectiveModule } from './objective.js';

/** Messages from `runStudy` to a trial worker. */
export type ToWorker =
  | { readonly type: 'run'; readonly number: number; readonly params: Params }
  | {
      readonly type: 'prune-answer';
      readonly number: number;
      readonly step: number;
      readonly prune: boolean;
    };

/** Messages from a trial worker to `runStudy`. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'load-error'; readonly error: string }
  | { readonly type: 'report'; readonly number: number; readonly step: number; readonly value: number }
  | { readonly type: 'done'; readonly number: number; readonly value: number }
  | { readonly type: 'pruned'; readonly number: number }
  | { readonly type: 'failed'; readonly number: number; readonly error: string };

/** Default export name of an objective module. */
export const DEFAULT_OBJECTIVE_EXPORT = 'objective';

/**
 * Imports an objective module and returns its function (with `context`: the function its
 * factory export makes from it).
 *
 * @throws Error when the module cannot be imported, the export is not a function, or the
 * factory throws.
 */
export async function loadObjective(ref: ObjectiveModule): Promise<ObjectiveFunction> {
  const url = isAbsolute(ref.module) ? pathToFileURL(ref.module).href : ref.module;
  const exportName = ref.exportName ?? DEFAULT_OBJECTIVE_EXPORT;
  const loaded = (await import(url)) as Record<string, unknown>;
  const fn = loaded[exportName];
  if (typeof fn !== 'function') {
    throw new Error(`objective module ${ref.module} has no function export "${exportName}"`);
  }
  if (ref.context === undefined) return fn as ObjectiveFunction;
  const objective = await (fn as ObjectiveFactory)(ref.context);
  if (typeof objective !== 'function') {
    throw new Error(`factory "${exportName}" of ${ref.module} did not return an objective function`);
  }
  return objective;
}
