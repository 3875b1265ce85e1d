import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * A small Swagger 2.0 (OpenAPI 2) validator for the published API descriptions vendored under
 * tests/contracts/. It does what the fakes need and no more:
 *
 * - `$ref` to `#/definitions/…`, `#/parameters/…` and to sibling files (mapped by file name onto
 *   the vendored copies; a file that is not vendored is an error when a check reaches it);
 * - `allOf` (the properties, `required` and `additionalProperties` of a model are those of its
 *   whole allOf chain, as AutoRest reads them);
 * - `discriminator` + `x-ms-discriminator-value`: a polymorphic value is checked as the subtype
 *   its discriminator names (an unknown value is an error);
 * - `required`, `type`, `enum`, `minLength`/`maxLength`, `pattern`, `minimum`/`maximum`,
 *   `format` lightly (int32/int64, date-time, uuid, duration), `x-nullable` (and OpenAPI 3.0's
 *   `nullable`, `oneOf`, `anyOf`, `#/components/schemas/…`, for ./openapi3.ts, which reuses this walker);
 * - `readOnly`: in a request a read-only property is ignored (ARM drops it, it is no error) and
 *   not required; in a response it is checked like any other; a secret (`x-ms-secret`) or a
 *   property whose `x-ms-mutability` lacks `read` is not required in a response (ARM never
 *   returns it);
 * - `additionalProperties`: a schema checks the extra keys; otherwise, stricter than JSON Schema,
 *   a key the model does not declare is an error (a misspelt or misplaced field is what we want
 *   to catch; `additionalProperties: false` is how these specs mark closed models anyway).
 *
 * Operations are matched by path template + method; path and query parameters, the
 * `api-version` (must be the spec's `info.version`) and the body parameter are checked.
 */

export type Schema = Record<string, any>;
export interface Located {
  file: string;
  schema: Schema;
}
export type Mode = 'request' | 'response';

/** Swagger 2.0 spells it `x-nullable`, OpenAPI 3.0 `nullable`. */
function isNullable(s: Schema): boolean {
  return s['x-nullable'] === true || s.nullable === true;
}

export interface ContractOperation {
  operationId: string;
  method: string;
  template: string;
  file: string;
  op: Schema;
  pathParams: Record<string, string>;
}

export interface RequestRefusal {
  status: number;
  code: string;
  message: string;
}

export class SwaggerContract {
  private readonly docs = new Map<string, Schema>();
  private readonly routes: { method: string; pattern: RegExp; names: string[]; template: string }[] = [];
  readonly apiVersion: string;

  /**
   * @param files - vendored file name (as `$ref`s spell its last segment) → local path; the
   *   first is the main description whose `paths` are served.
   */
  constructor(private readonly files: Record<string, string>) {
    const main = Object.keys(files)[0]!;
    const doc = this.doc(main);
    this.apiVersion = String(doc.info.version);
    for (const [template, item] of Object.entries(doc.paths as Record<string, Schema>)) {
      const names: string[] = [];
      const source = template
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const m = /^\{([^}]+)\}$/.exec(part);
          if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(m[1]!);
          return '([^/]+)';
        })
        .join('');
      for (const method of Object.keys(item)) {
        if (method === 'parameters') continue;
        // ARM matches the literal segments case-insensitively.
        this.routes.push({
          method: method.toUpperCase(),
          pattern: new RegExp(`^${source}$`, 'i'),
          names,
          template,
        });
      }
    }
    this.mainFile = main;
  }

  private readonly mainFile: string;

  protected doc(file: string): Schema {
    let doc = this.docs.get(file);
    if (!doc) {
      const path = this.files[file];
      if (!path) throw new Error(`contract: ${file} is not vendored under tests/contracts`);
      doc = JSON.parse(readFileSync(path, 'utf8')) as Schema;
      this.docs.set(file, doc);
    }
    return doc;
  }

  /** Follows `$ref`s (chains too) from `at`. */
  protected deref(at: Located): Located {
    let cur = at;
    for (let i = 0; cur.schema.$ref !== undefined; i++) {
      if (i > 32) throw new Error(`contract: $ref loop at ${cur.schema.$ref}`);
      const ref = String(cur.schema.$ref);
      const [filePart, pointer = ''] = ref.split('#');
      const file = filePart ? basename(filePart) : cur.file;
      let node: Schema = this.doc(file);
      for (const key of pointer.split('/').filter(Boolean)) {
        node = node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')];
        if (node === undefined) throw new Error(`contract: ${ref} does not resolve in ${file}`);
      }
      cur = { file, schema: node };
    }
    return cur;
  }

  /** The operation a request is for, or undefined when the description has no such route. */
  match(method: string, pathname: string): ContractOperation | undefined {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.pattern.exec(pathname);
      if (!m) continue;
      const pathParams = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
      const op = this.doc(this.mainFile).paths[r.template][method.toLowerCase()] as Schema;
      return {
        operationId: String(op.operationId),
        method,
        template: r.template,
        file: this.mainFile,
        op,
        pathParams,
      };
    }
    return undefined;
  }

  protected parameters(op: ContractOperation): Located[] {
    const item = this.doc(op.file).paths[op.template] as Schema;
    return [...(item.parameters ?? []), ...(op.op.parameters ?? [])].map((p: Schema) =>
      this.deref({ file: op.file, schema: p }),
    );
  }

  /**
   * Checks a request as the service would: the error ARM would answer with, or undefined.
   * `body` is the parsed JSON body (undefined when there was none).
   */
  checkRequest(op: ContractOperation, query: URLSearchParams, body: unknown): RequestRefusal | undefined {
    const apiVersion = query.get('api-version');
    if (apiVersion !== this.apiVersion) {
      return {
        status: 400,
        code: apiVersion ? 'NoRegisteredProviderFound' : 'MissingApiVersionParameter',
        message: apiVersion
          ? `No registered resource provider found for API version '${apiVersion}' (this contract: ${this.apiVersion})`
          : 'The api-version query parameter (?api-version=) is required for all requests.',
      };
    }
    const errors: string[] = [];
    for (const p of this.parameters(op)) {
      const s = p.schema;
      if (s.in === 'path') {
        this.check(p, op.pathParams[s.name], `path parameter ${s.name}`, 'request', errors);
      } else if (s.in === 'query') {
        if (s.name === 'api-version') continue;
        const raw = query.get(s.name);
        if (raw === null) {
          if (s.required) errors.push(`query parameter ${s.name}: required`);
          continue;
        }
        const value =
          s.type === 'integer' && /^-?\d+$/.test(raw)
            ? Number(raw)
            : s.type === 'boolean' && /^(true|false)$/.test(raw)
              ? raw === 'true'
              : raw;
        this.check(p, value, `query parameter ${s.name}`, 'request', errors);
      } else if (s.in === 'body') {
        if (body === undefined) {
          if (s.required) errors.push('body: required');
          continue;
        }
        this.check({ file: p.file, schema: s.schema }, body, 'body', 'request', errors);
      }
    }
    if (
      !op.op.parameters?.some((p: Schema) => this.deref({ file: op.file, schema: p }).schema.in === 'body')
    ) {
      if (body !== undefined && op.method !== 'POST') errors.push(`${op.operationId} takes no body`);
    }
    if (errors.length === 0) return undefined;
    return {
      status: 400,
      code: 'UserError',
      message: `Request is invalid and/or missing fields (${op.operationId}): ${errors.join('; ')}`,
    };
  }

  /** Problems with a response the fake is about to send (empty when it matches the description). */
  checkResponse(op: ContractOperation, status: number, body: unknown): string[] {
    const responses = op.op.responses as Record<string, Schema>;
    const spec = responses[String(status)] ?? (status >= 400 ? responses.default : undefined);
    if (!spec) return [`${op.operationId}: status ${status} is not a documented response`];
    const errors: string[] = [];
    if (spec.schema)
      this.check({ file: op.file, schema: spec.schema }, body, `${status} body`, 'response', errors);
    else if (body !== undefined)
      errors.push(`${op.operationId}: status ${status} has no body in the description`);
    return errors;
  }

  /** Checks `value` against a schema by the name of a definition in the main file (for tests). */
  checkDefinition(name: string, value: unknown, mode: Mode = 'request'): string[] {
    const errors: string[] = [];
    this.check({ file: this.mainFile, schema: { $ref: `#/definitions/${name}` } }, value, name, mode, errors);
    return errors;
  }

  protected check(at: Located, value: unknown, path: string, mode: Mode, errors: string[]): void {
    const nullable = isNullable(at.schema);
    const loc = this.deref(at);
    const s = loc.schema;
    if (value === null) {
      // OpenAPI 3.0: null fits a oneOf/anyOf when one of its alternatives is nullable.
      const alternatives = (s.oneOf ?? s.anyOf ?? []) as Schema[];
      const fits =
        nullable ||
        isNullable(s) ||
        alternatives.some(
          (alt) => isNullable(alt) || isNullable(this.deref({ file: loc.file, schema: alt }).schema),
        );
      if (!fits) errors.push(`${path}: null is not allowed`);
      return;
    }
    if (value === undefined) {
      errors.push(`${path}: missing`);
      return;
    }
    if (s.enum && !(s.enum as unknown[]).includes(value)) {
      errors.push(`${path}: ${JSON.stringify(value)} is not one of ${(s.enum as unknown[]).join(', ')}`);
      return;
    }
    if (s.oneOf || s.anyOf) {
      this.checkAlternatives(loc, value, path, mode, errors);
      return;
    }
    const type = s.type ?? (s.properties || s.allOf || s.additionalProperties ? 'object' : undefined);
    switch (type) {
      case 'string':
        this.checkString(s, value, path, errors);
        return;
      case 'integer':
      case 'number':
        this.checkNumber(s, type, value, path, errors);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') errors.push(`${path}: expected a boolean`);
        return;
      case 'array':
        if (!Array.isArray(value)) {
          errors.push(`${path}: expected an array`);
          return;
        }
        value.forEach((v, i) => {
          this.check({ file: loc.file, schema: s.items ?? {} }, v, `${path}[${i}]`, mode, errors);
        });
        return;
      case 'object':
        this.checkObject(loc, value, path, mode, errors);
        return;
      default:
        return; // an untyped schema ("any")
    }
  }

  /** OpenAPI 3 `oneOf` (exactly one alternative fits) and `anyOf` (at least one does). */
  private checkAlternatives(loc: Located, value: unknown, path: string, mode: Mode, errors: string[]) {
    const one = loc.schema.oneOf !== undefined;
    const alternatives = (loc.schema.oneOf ?? loc.schema.anyOf) as Schema[];
    const results = alternatives.map((alt) => {
      const found: string[] = [];
      this.check({ file: loc.file, schema: alt }, value, path, mode, found);
      return found;
    });
    const fits = results.filter((r) => r.length === 0).length;
    if (fits === 0)
      errors.push(
        `${path}: fits none of the ${one ? 'oneOf' : 'anyOf'} alternatives (${results.map((r) => r.join(', ')).join(' | ')})`,
      );
    else if (one && fits > 1) errors.push(`${path}: fits ${fits} of the oneOf alternatives, not exactly one`);
  }

  private checkString(s: Schema, value: unknown, path: string, errors: string[]) {
    if (typeof value !== 'string') {
      errors.push(`${path}: expected a string`);
      return;
    }
    if (s.minLength !== undefined && value.length < s.minLength)
      errors.push(`${path}: shorter than ${s.minLength}`);
    if (s.maxLength !== undefined && value.length > s.maxLength)
      errors.push(`${path}: longer than ${s.maxLength}`);
    if (s.pattern !== undefined && !new RegExp(s.pattern).test(value))
      errors.push(`${path}: ${JSON.stringify(value)} does not match ${s.pattern}`);
    const format = s.format as string | undefined;
    if (format === 'date-time' && Number.isNaN(Date.parse(value))) errors.push(`${path}: not a date-time`);
    if (format === 'uuid' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
      errors.push(`${path}: not a uuid`);
    if (
      format === 'duration' &&
      !/^-?P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/.test(value)
    )
      errors.push(`${path}: ${JSON.stringify(value)} is not an ISO 8601 duration`);
  }

  private checkNumber(s: Schema, type: string, value: unknown, path: string, errors: string[]) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      errors.push(`${path}: expected ${type === 'integer' ? 'an integer' : 'a number'}`);
      return;
    }
    if (type === 'integer' && !Number.isInteger(value)) errors.push(`${path}: expected an integer`);
    if (s.format === 'int32' && (value < -(2 ** 31) || value >= 2 ** 31))
      errors.push(`${path}: out of int32`);
    if (s.minimum !== undefined && value < s.minimum) errors.push(`${path}: below ${s.minimum}`);
    if (s.maximum !== undefined && value > s.maximum) errors.push(`${path}: above ${s.maximum}`);
  }

  private checkObject(at: Located, value: unknown, path: string, mode: Mode, errors: string[]) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push(`${path}: expected an object`);
      return;
    }
    const record = value as Record<string, unknown>;
    const model = this.collect(this.dispatch(at, record, path, errors) ?? at);
    for (const name of model.required) {
      const prop = model.properties.get(name);
      if (mode === 'request' && prop && this.isReadOnly(prop)) continue;
      if (mode === 'response' && prop && this.isNeverRead(prop)) continue;
      if (record[name] === undefined) errors.push(`${path}.${name}: required`);
    }
    for (const [key, v] of Object.entries(record)) {
      const prop = model.properties.get(key);
      if (prop) {
        if (mode === 'request' && this.isReadOnly(prop)) continue; // ARM ignores read-only input
        if (v === undefined) continue;
        this.check(prop, v, `${path}.${key}`, mode, errors);
      } else if (model.additional && model.additional !== true) {
        this.check(model.additional, v, `${path}.${key}`, mode, errors);
      } else if (model.additional !== true) {
        errors.push(`${path}.${key}: not a property of ${model.name}`);
      }
    }
  }

  /** Secrets and create/update-only properties: ARM never returns them, so a response may lack them. */
  private isNeverRead(prop: Located): boolean {
    const mutability = prop.schema['x-ms-mutability'] as string[] | undefined;
    return prop.schema['x-ms-secret'] === true || (mutability !== undefined && !mutability.includes('read'));
  }

  private isReadOnly(prop: Located): boolean {
    return prop.schema.readOnly === true || this.deref(prop).schema.readOnly === true;
  }

  /** For a polymorphic model, the subtype the value's discriminator names. */
  private dispatch(
    at: Located,
    value: Record<string, unknown>,
    path: string,
    errors: string[],
  ): Located | undefined {
    const loc = this.deref(at);
    const base = this.findDiscriminator(loc);
    if (!base) return undefined;
    const tag = value[base.property];
    if (typeof tag !== 'string') {
      errors.push(`${path}.${base.property}: required (discriminator of ${base.name})`);
      return undefined;
    }
    const definitions = this.doc(base.file).definitions as Record<string, Schema>;
    for (const [name, def] of Object.entries(definitions)) {
      if ((def['x-ms-discriminator-value'] ?? name) !== tag) continue;
      const candidate = { file: base.file, schema: def };
      if (name === base.name || this.inherits(candidate, base)) return candidate;
    }
    errors.push(`${path}.${base.property}: ${JSON.stringify(tag)} names no subtype of ${base.name}`);
    return undefined;
  }

  private findDiscriminator(loc: Located): { file: string; name: string; property: string } | undefined {
    if (typeof loc.schema.discriminator === 'string') {
      const name = this.nameOf(loc);
      return name ? { file: loc.file, name, property: loc.schema.discriminator } : undefined;
    }
    return undefined;
  }

  private inherits(sub: Located, base: { file: string; name: string }): boolean {
    for (const part of sub.schema.allOf ?? []) {
      const parent = this.deref({ file: sub.file, schema: part });
      if (parent.file === base.file && this.nameOf(parent) === base.name) return true;
      if (this.inherits(parent, base)) return true;
    }
    return false;
  }

  private nameOf(loc: Located): string | undefined {
    const doc = this.doc(loc.file);
    const defs = (doc.definitions ?? doc.components?.schemas ?? {}) as Record<string, Schema>;
    return Object.keys(defs).find((k) => defs[k] === loc.schema);
  }

  /** Properties, required names and additionalProperties of a model over its allOf chain. */
  private collect(at: Located): {
    name: string;
    properties: Map<string, Located>;
    required: Set<string>;
    additional: Located | true | undefined;
  } {
    const loc = this.deref(at);
    const out = {
      name: this.nameOf(loc) ?? 'the model',
      properties: new Map<string, Located>(),
      required: new Set<string>(),
      additional: undefined as Located | true | undefined,
    };
    const visit = (l: Located) => {
      for (const part of l.schema.allOf ?? []) visit(this.deref({ file: l.file, schema: part }));
      for (const [k, v] of Object.entries((l.schema.properties ?? {}) as Record<string, Schema>))
        out.properties.set(k, { file: l.file, schema: v });
      for (const r of (l.schema.required ?? []) as string[]) out.required.add(r);
      const ap = l.schema.additionalProperties;
      if (ap === true) out.additional ??= true;
      else if (ap && typeof ap === 'object') out.additional = { file: l.file, schema: ap };
    };
    visit(loc);
    return out;
  }
}
