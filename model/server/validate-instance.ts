import {
  type CompiledFeatureSpec,
  type FeatureRange,
  rangeProblem,
} from '../../pipeline/features/compile-spec.js';

/** One problem with one field of a request, as the 400 answer lists it. */
export interface FieldError {
  /** JSON path of the field, e.g. `instances[3].project_size`. */
  field: string;
  message: string;
}

/** A validated instance: its feature vector and the division to route it to. */
export interface ValidInstance {
  features: Float64Array;
  division: number;
}

interface Check {
  name: string;
  index: number;
  range: FeatureRange;
}

/** Keys an instance may carry beside its features. */
const ROUTING_KEYS = new Set(['division']);

/**
 * Validates request instances against a feature spec. An instance is either the features by
 * name (the seed's request form) or `{"record": {...}}`, a raw record featurised by the very code
 * training used. Bounds come from the spec's ranges (`CompiledFeatureSpec.ranges`, the same ones
 * training data is checked against): flags and one-hot columns are 0 or 1 with exactly one
 * column of each one-hot group set; numbers and days stay within their finite range.
 */
export function createInstanceValidator(spec: CompiledFeatureSpec, allowedDivisions: readonly number[]) {
  const checks: Check[] = spec.ranges.map((range, index) => ({ name: range.name, index, range }));
  const groups: { names: string[]; start: number }[] = [];
  for (const { range, index } of checks) {
    if (range.group === index) groups.push({ names: [], start: index });
    if (range.group !== undefined) groups.at(-1)!.names.push(range.name);
  }
  const known = new Set(checks.map((c) => c.name));
  const divisions = new Set(allowedDivisions);
  const divisionList = allowedDivisions.join(', ');

  /** The instance's `division` (0 when absent); an error is pushed when it is not a known one. */
  function divisionOf(value: unknown, path: string, errors: FieldError[]): number {
    if (value === undefined) return 0;
    if (typeof value !== 'number' || !Number.isInteger(value) || !divisions.has(value)) {
      errors.push({
        field: at(path, 'division'),
        message: `must be one of divisions ${divisionList}, got ${show(value)}`,
      });
      return 0;
    }
    return value;
  }

  /**
   * Validates one instance; `path` prefixes field names in errors. Features given by name are
   * written into `into` when given (a buffer the caller reuses), else into a new array.
   */
  return function validate(
    instance: unknown,
    path: string,
    into?: Float64Array,
  ): ValidInstance | FieldError[] {
    if (instance === null || typeof instance !== 'object' || Array.isArray(instance)) {
      return [{ field: path || '(body)', message: `must be a JSON object, got ${show(instance)}` }];
    }
    const object = instance as Record<string, unknown>;
    if ('record' in object) return validateRecord(object, path);

    let errors: FieldError[] = [];
    let present = 0;
    const features = into ?? new Float64Array(checks.length);
    for (const check of checks) {
      const value = object[check.name];
      if (value === undefined) {
        errors.push({ field: at(path, check.name), message: 'missing' });
        continue;
      }
      present++;
      const problem = checkValue(check, value);
      if (problem !== undefined) errors.push({ field: at(path, check.name), message: problem });
      else features[check.index] = value as number;
    }
    let keys = 0;
    for (const _ in object) keys++;
    if (keys > present + (object.division === undefined ? 0 : 1)) {
      // Unknown fields are listed first, in the request's order.
      const unknown: FieldError[] = [];
      for (const key of Object.keys(object)) {
        if (!known.has(key) && !ROUTING_KEYS.has(key)) {
          unknown.push({
            field: at(path, key),
            message: 'unknown field (expected the features by name, or "record")',
          });
        }
      }
      errors = [...unknown, ...errors];
    }
    if (errors.length === 0) {
      for (const group of groups) {
        let set = 0;
        for (let i = 0; i < group.names.length; i++) set += features[group.start + i]!;
        if (set !== 1) {
          errors.push({
            field: at(path, group.names.join('|')),
            message: `exactly one of these must be 1, got ${set}`,
          });
        }
      }
    }
    const division = divisionOf(object.division, path, errors);
    return errors.length > 0 ? errors : { features, division };
  };

  function validateRecord(object: Record<string, unknown>, path: string): ValidInstance | FieldError[] {
    const errors: FieldError[] = [];
    for (const key of Object.keys(object)) {
      if (key !== 'record' && !ROUTING_KEYS.has(key))
        errors.push({ field: at(path, key), message: 'unknown field beside "record"' });
    }
    const record = object.record;
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      return [
        ...errors,
        { field: at(path, 'record'), message: `must be a JSON object, got ${show(record)}` },
      ];
    }
    const result = spec.computeFeatures(record);
    if (!result.ok)
      errors.push({
        field: at(path, `record.${result.rule}`),
        message: withoutField(result.reason, result.rule),
      });
    let division = divisionOf(object.division, path, errors);
    if (object.division === undefined) {
      const own = spec.computeDivision(record);
      if (own.ok) division = own.division;
      else
        errors.push({ field: at(path, `record.${own.rule}`), message: withoutField(own.reason, own.rule) });
    }
    return errors.length > 0 || !result.ok ? errors : { features: result.features, division };
  }
}

/** Why `value` is not a valid value for `check`, or undefined when it is. */
function checkValue(check: Check, value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value))
    return `must be a finite number, got ${show(value)}`;
  return rangeProblem(check.range, value);
}

/** The JSON path of field `name` of the instance at `path`. */
function at(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/** Reasons from the feature spec start with the field name, which the error's path already gives. */
function withoutField(reason: string, field: string): string {
  return reason.startsWith(`${field}: `) ? reason.slice(field.length + 2) : reason;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  // Never serialise a whole object or array: a hostile body may nest thousands deep.
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
