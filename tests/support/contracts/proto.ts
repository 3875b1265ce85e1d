import { readFileSync } from 'node:fs';

/**
 * MLflow's REST API has no OpenAPI description: it is described by the protobuf messages of
 * mlflow/protos/service.proto, sent and received in protobuf's JSON mapping (field names as
 * written, snake_case). This reads the subset of proto2 syntax that file's messages use
 * (`message` blocks, nested `message Response`, `enum` blocks and
 * `optional|required|repeated <type> <name> = <n> [<options>];` fields) and checks JSON
 * against a message as MLflow's server parses it:
 *
 * - in a request, a field that is `required`, or annotated `[(validate_required) = true]`, must
 *   be present and not null (an empty string counts as given: proto2 tells set from unset, and
 *   the server's own extra checks, such as its `_assert_required` on run ids, are not in the
 *   proto, so not checked here);
 * - `string`, `bool`, `int32`/`int64` (a number, or in a request a string of digits, as the
 *   JSON mapping allows), `double`/`float` (a number, or `"NaN"`, `"Infinity"`, `"-Infinity"`),
 *   enums (by name; a request may give the number), nested messages, `repeated` as arrays;
 *   null is an unset field;
 * - a request's unknown fields are ignored (MLflow parses with `ignore_unknown_fields`); a
 *   response's are an error (the fake should not invent fields).
 *
 * GET endpoints take the request message's fields as query parameters.
 */

interface ProtoField {
  label: 'optional' | 'required' | 'repeated';
  type: string;
  name: string;
  required: boolean;
}

type Mode = 'request' | 'response';

export interface MlflowRefusal {
  status: 400;
  error_code: 'INVALID_PARAMETER_VALUE';
  message: string;
}

const SCALARS = new Set(['string', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float']);

export class ProtoContract {
  readonly messages = new Map<string, ProtoField[]>();
  readonly enums = new Map<string, Map<string, number>>();

  constructor(path: string) {
    const text = readFileSync(path, 'utf8').replace(/\/\/[^\n]*/g, '');
    const stack: string[] = [];
    let inEnum: string | undefined;
    for (const raw of text.split(/\n/)) {
      const line = raw.trim();
      if (!line || /^(syntax|package|import|option)\b/.test(line)) continue;
      let m = /^message\s+(\w+)\s*\{\s*(\})?$/.exec(line);
      if (m) {
        const name = [...stack, m[1]!].join('.');
        this.messages.set(name, []);
        if (!m[2]) stack.push(m[1]!);
        continue;
      }
      m = /^enum\s+(\w+)\s*\{$/.exec(line);
      if (m) {
        inEnum = [...stack, m[1]!].join('.');
        this.enums.set(inEnum, new Map());
        continue;
      }
      if (line === '}') {
        if (inEnum) inEnum = undefined;
        else stack.pop();
        continue;
      }
      if (inEnum) {
        m = /^(\w+)\s*=\s*(-?\d+);$/.exec(line);
        if (!m) throw new Error(`proto: cannot read enum value "${line}"`);
        this.enums.get(inEnum)!.set(m[1]!, Number(m[2]));
        continue;
      }
      m = /^(optional|required|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*\d+\s*(\[(.*)\])?\s*;$/.exec(line);
      if (!m || stack.length === 0) throw new Error(`proto: cannot read "${line}"`);
      this.messages.get(stack.join('.'))!.push({
        label: m[1] as ProtoField['label'],
        type: m[2]!,
        name: m[3]!,
        required: m[1] === 'required' || /\(validate_required\)\s*=\s*true/.test(m[5] ?? ''),
      });
    }
    if (stack.length) throw new Error(`proto: unclosed message ${stack.join('.')}`);
  }

  /** The field list of a message, by its full name (`CreateRun`, `CreateRun.Response`). */
  private fields(name: string): ProtoField[] {
    const fields = this.messages.get(name);
    if (!fields) throw new Error(`proto: message ${name} is not in the extract`);
    return fields;
  }

  /** Checks a JSON value against message `name`; the problems, or an empty list. */
  checkMessage(name: string, value: unknown, mode: Mode, path = name): string[] {
    const errors: string[] = [];
    this.message(name, value, mode, path, errors);
    return errors;
  }

  /** The refusal MLflow answers a request body (or query) with, or undefined. */
  checkRequest(message: string, value: Record<string, unknown>): MlflowRefusal | undefined {
    const errors = this.checkMessage(message, value, 'request', 'request');
    if (errors.length === 0) return undefined;
    return { status: 400, error_code: 'INVALID_PARAMETER_VALUE', message: errors.join('; ') };
  }

  /**
   * A GET request's query as the message: each field from its parameter (a repeated field may
   * repeat it), ints converted from their digits, as MLflow's server reads them.
   */
  queryToMessage(message: string, query: URLSearchParams): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of this.fields(message)) {
      const all = query.getAll(f.name);
      if (all.length === 0) continue;
      const read = (raw: string) => (/int\d\d$/.test(f.type) && /^-?\d+$/.test(raw) ? Number(raw) : raw);
      out[f.name] = f.label === 'repeated' ? all.map(read) : read(all[0]!);
    }
    return out;
  }

  private message(name: string, value: unknown, mode: Mode, path: string, errors: string[]) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push(`${path}: expected an object (${name})`);
      return;
    }
    const record = value as Record<string, unknown>;
    const fields = this.fields(name);
    for (const f of fields) {
      const v = record[f.name];
      if (v === undefined || v === null || (f.label === 'repeated' && Array.isArray(v) && v.length === 0)) {
        if (f.required && mode === 'request')
          errors.push(`${path}.${f.name}: missing value for required parameter`);
        continue;
      }
      if (f.label === 'repeated') {
        if (!Array.isArray(v)) {
          errors.push(`${path}.${f.name}: expected a list`);
          continue;
        }
        v.forEach((item, i) => {
          this.field(name, f, item, mode, `${path}.${f.name}[${i}]`, errors);
        });
      } else this.field(name, f, v, mode, `${path}.${f.name}`, errors);
    }
    if (mode === 'response')
      for (const key of Object.keys(record))
        if (record[key] !== undefined && !fields.some((f) => f.name === key))
          errors.push(`${path}.${key}: not a field of ${name}`);
  }

  private field(owner: string, f: ProtoField, v: unknown, mode: Mode, path: string, errors: string[]) {
    if (v === null) return;
    const type = f.type;
    if (SCALARS.has(type)) {
      const problem = scalarProblem(type, v, mode);
      if (problem)
        errors.push(`${path}: ${typeof v === 'number' ? String(v) : JSON.stringify(v)} ${problem}`);
      return;
    }
    const resolved = this.resolve(owner, type);
    if (resolved.kind === 'enum') {
      const values = this.enums.get(resolved.name)!;
      const ok =
        (typeof v === 'string' && values.has(v)) ||
        (mode === 'request' && typeof v === 'number' && [...values.values()].includes(v));
      if (!ok) errors.push(`${path}: ${JSON.stringify(v)} is not one of ${[...values.keys()].join(', ')}`);
      return;
    }
    this.message(resolved.name, v, mode, path, errors);
  }

  /** A type name as protobuf resolves it: from the innermost enclosing scope outwards. */
  private resolve(owner: string, type: string): { kind: 'message' | 'enum'; name: string } {
    const scopes = owner.split('.');
    for (let i = scopes.length; i >= 0; i--) {
      const name = [...scopes.slice(0, i), type].join('.');
      if (this.messages.has(name)) return { kind: 'message', name };
      if (this.enums.has(name)) return { kind: 'enum', name };
    }
    throw new Error(`proto: type ${type} (in ${owner}) is not in the extract`);
  }
}

function scalarProblem(type: string, v: unknown, mode: Mode): string | undefined {
  switch (type) {
    case 'string':
      return typeof v === 'string' ? undefined : 'is not a string';
    case 'bool':
      return typeof v === 'boolean' ? undefined : 'is not a bool';
    case 'double':
    case 'float':
      return (typeof v === 'number' && Number.isFinite(v)) ||
        (typeof v === 'string' && /^(NaN|-?Infinity)$/.test(v))
        ? undefined
        : `is not a ${type}`;
    default: {
      const bits = type.endsWith('32') ? 32 : 64;
      const n =
        typeof v === 'number'
          ? v
          : mode === 'request' && typeof v === 'string' && /^-?\d+$/.test(v)
            ? Number(v)
            : Number.NaN;
      if (!Number.isInteger(n)) return `is not an ${type}`;
      if (bits === 32 && (n < -(2 ** 31) || n >= 2 ** 31)) return `is out of ${type}`;
      return undefined;
    }
  }
}
