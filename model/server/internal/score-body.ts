import type { Counter, CounterSeries } from '../prometheus.js';
import { type ModelSet, routeDivision, type ScoringModel } from '../scoring-model.js';
import { createInstanceValidator, type FieldError, type ValidInstance } from '../validate-instance.js';
import { HttpError } from './http.js';
import { findJsonShapeBreach, MAX_JSON_DEPTH, MAX_JSON_OBJECT_KEYS } from './json-shape.js';

const MAX_LISTED_ERRORS = 100;

/** How one division's instances are answered; prepared once per model set, not per request. */
interface PreparedRoute {
  model: ScoringModel;
  /** The end of each answer: `,"threshold":…,"model":{…}` (and `,"fallback":"…"`) and `}`. */
  tail: string;
  /** Instances scored by this model (opp_instances_scored_total). */
  scored: CounterSeries;
}

/** A model set ready to answer requests: its validator and a route per division. */
export interface PreparedModels {
  readonly set: ModelSet;
  readonly validate: ReturnType<typeof createInstanceValidator>;
  /** Division → route; a division missing here has no model of its own and no general model. */
  readonly routes: ReadonlyMap<number, PreparedRoute>;
  /** The features of a single-instance request, reused: scoring is synchronous and keeps no copy. */
  readonly row: Float64Array;
}

/** Checks a model set and prepares its routes for `divisions`. @throws Error for an empty or mixed set. */
export function prepareModels(set: ModelSet, divisions: readonly number[], scored: Counter): PreparedModels {
  const models = [...set.models.values()];
  if (models.length === 0) throw new Error(`${set.source}: no models to serve`);
  const hashes = new Set(models.map((m) => m.spec.hash));
  if (hashes.size > 1) throw new Error(`${set.source}: the models were trained with different feature specs`);
  const routes = new Map<number, PreparedRoute>();
  for (const division of new Set([0, ...divisions])) {
    const route = routeDivision(set, division);
    if (!route) continue;
    const { model, fallback } = route;
    routes.set(division, {
      model,
      tail: `,"threshold":${jsonNumber(model.threshold)},"model":${JSON.stringify(model.identity)}${fallback ? `,"fallback":${JSON.stringify(fallback)}` : ''}}`,
      scored: scored.series({ division: model.identity.division }),
    });
  }
  const validate = createInstanceValidator(models[0]!.spec, divisions);
  return { set, validate, routes, row: new Float64Array(models[0]!.spec.featureNames.length) };
}

/**
 * Scores a `/score` request body: one instance, or `{"instances": [...]}`. Returns the answer as
 * JSON text, written directly (the same text `JSON.stringify` gives for these objects).
 * @throws HttpError 400 for invalid JSON, nesting deeper than {@link MAX_JSON_DEPTH}, an object of more than {@link MAX_JSON_OBJECT_KEYS} keys or invalid instances, 413 for too many, 503 without a model.
 */
export function scoreBody(prepared: PreparedModels, body: string, maxInstances: number): string {
  const breach = findJsonShapeBreach(body);
  if (breach?.limit === 'depth') {
    throw new HttpError(
      400,
      'nesting_too_deep',
      `request body nests arrays and objects deeper than the limit of ${MAX_JSON_DEPTH} levels (at character ${breach.at})`,
    );
  }
  if (breach?.limit === 'keys') {
    throw new HttpError(
      400,
      'too_many_fields',
      `an object in the request body has more than ${MAX_JSON_OBJECT_KEYS} fields (at character ${breach.at})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new HttpError(400, 'invalid_json', `request body is not valid JSON: ${(error as Error).message}`);
  }
  const batch =
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && 'instances' in parsed;
  if (!batch) {
    const valid = prepared.validate(parsed, '', prepared.row);
    if (Array.isArray(valid)) throw invalid(valid);
    const route = routeOf(prepared, valid);
    const text = predictionJson(route, route.model.probabilities(valid.features, 1)[0]!);
    route.scored.inc();
    return text;
  }
  return scoreBatch(prepared, parsed as Record<string, unknown>, maxInstances);
}

function scoreBatch(
  prepared: PreparedModels,
  request: Record<string, unknown>,
  maxInstances: number,
): string {
  const extra = Object.keys(request).filter((k) => k !== 'instances');
  if (extra.length > 0) {
    throw new HttpError(
      400,
      'invalid_request',
      'invalid request',
      extra.map((k) => ({ field: k, message: 'unknown field beside "instances"' })),
    );
  }
  const list = request.instances;
  if (!Array.isArray(list) || list.length === 0) {
    throw new HttpError(400, 'invalid_request', '"instances" must be a non-empty array of instances');
  }
  if (list.length > maxInstances) {
    throw new HttpError(
      413,
      'too_many_instances',
      `at most ${maxInstances} instances per request, got ${list.length}`,
    );
  }
  const valid: ValidInstance[] = [];
  const errors: FieldError[] = [];
  for (let i = 0; i < list.length; i++) {
    const result = prepared.validate(list[i], `instances[${i}]`);
    if (Array.isArray(result)) for (const e of result) errors.push(e);
    else valid.push(result);
  }
  if (errors.length > 0) throw invalid(errors);

  // Score each model's instances in one call, then answer in request order.
  const routes = valid.map((instance) => routeOf(prepared, instance));
  const answers = new Array<string>(valid.length);
  const done = new Set<PreparedRoute>();
  for (const route of routes) {
    if (done.has(route)) continue;
    done.add(route);
    const width = route.model.spec.featureNames.length;
    const indices: number[] = [];
    for (let i = 0; i < routes.length; i++) if (routes[i] === route) indices.push(i);
    const x = new Float64Array(indices.length * width);
    for (let row = 0; row < indices.length; row++) x.set(valid[indices[row]!]!.features, row * width);
    const probabilities = route.model.probabilities(x, indices.length);
    for (let row = 0; row < indices.length; row++)
      answers[indices[row]!] = predictionJson(route, probabilities[row]!);
    route.scored.inc(indices.length);
  }
  return `{"predictions":[${answers.join(',')}]}`;
}

function routeOf(prepared: PreparedModels, instance: ValidInstance): PreparedRoute {
  const route = prepared.routes.get(instance.division);
  if (!route) throw new HttpError(503, 'not_ready', 'no general model is loaded');
  return route;
}

/**
 * One prediction's JSON, the seed's fields first: `probability`; `prediction` 1 (pursue) when
 * the probability is at or above the model's threshold; `confidence` |p − 0.5| × 2 as the seed's
 * score.py computed it; `percentile` among the training set's probabilities (0-100); then
 * `threshold`, `model` {name, version, division} and `fallback` when the division had no model.
 */
function predictionJson(route: PreparedRoute, p: number): string {
  const { model } = route;
  return `{"probability":${jsonNumber(p)},"prediction":${p >= model.threshold ? 1 : 0},"confidence":${jsonNumber(Math.abs(p - 0.5) * 2)},"percentile":${jsonNumber(model.percentile(p))}${route.tail}`;
}

/** A number as JSON.stringify writes it (NaN and ±Infinity become null). */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? `${value}` : 'null';
}

function invalid(errors: FieldError[]): HttpError {
  const shown = errors.slice(0, MAX_LISTED_ERRORS);
  const more = errors.length > shown.length ? ` (first ${shown.length} of ${errors.length} listed)` : '';
  return new HttpError(
    400,
    'invalid_request',
    `${errors.length} invalid field${errors.length > 1 ? 's' : ''}${more}`,
    shown,
  );
}
