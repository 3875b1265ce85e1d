import { basename } from 'node:path';
import { type ContractOperation, type Located, type Schema, SwaggerContract } from './swagger.js';

/**
 * An OpenAPI 3.0 request/response checker on top of {@link SwaggerContract}'s schema walker (the
 * same `required`/`type`/`enum`/`format`/`allOf`/`$ref` checks, plus 3.0's `nullable`, `oneOf`
 * and `anyOf`). What differs from Swagger 2.0 is where things sit: a parameter's type is under
 * its `schema`, the body is `requestBody.content['application/json'].schema`, a response's is
 * `content['application/json'].schema`, and responses may be `$ref`s to
 * `#/components/responses/…`. There is no api-version query parameter (GitHub versions its API
 * by a header), so none is checked.
 */

/** Why a request is refused: GitHub answers 404 when a path parameter is no such thing, else 422. */
export interface OpenApiRefusal {
  status: 404 | 422;
  errors: string[];
}

export class OpenApi3Contract extends SwaggerContract {
  private readonly main: string;

  constructor(path: string) {
    const file = basename(path);
    super({ [file]: path });
    this.main = file;
  }

  private param(p: Located): Located {
    return { file: p.file, schema: p.schema.schema ?? {} };
  }

  private static scalar(schema: Schema, raw: string): unknown {
    if ((schema.type === 'integer' || schema.type === 'number') && /^-?\d+(\.\d+)?$/.test(raw))
      return Number(raw);
    if (schema.type === 'boolean' && /^(true|false)$/.test(raw)) return raw === 'true';
    return raw;
  }

  /** The refusal GitHub would answer this request with, or undefined when the description takes it. */
  checkOperation(op: ContractOperation, query: URLSearchParams, body: unknown): OpenApiRefusal | undefined {
    const pathErrors: string[] = [];
    const errors: string[] = [];
    for (const p of this.parameters(op)) {
      const s = p.schema;
      const schema = this.deref(this.param(p)).schema;
      if (s.in === 'path') {
        const raw = op.pathParams[s.name];
        this.check(
          this.param(p),
          raw === undefined ? undefined : OpenApi3Contract.scalar(schema, raw),
          `path parameter ${s.name}`,
          'request',
          pathErrors,
        );
      } else if (s.in === 'query') {
        const raw = query.get(s.name);
        if (raw === null) {
          if (s.required) errors.push(`query parameter ${s.name}: required`);
          continue;
        }
        this.check(
          this.param(p),
          OpenApi3Contract.scalar(schema, raw),
          `query parameter ${s.name}`,
          'request',
          errors,
        );
      }
    }
    if (pathErrors.length) return { status: 404, errors: pathErrors };
    const requestBody = op.op.requestBody
      ? this.deref({ file: op.file, schema: op.op.requestBody }).schema
      : undefined;
    if (requestBody) {
      const schema = requestBody.content?.['application/json']?.schema as Schema | undefined;
      if (body === undefined) {
        if (requestBody.required) errors.push('body: required');
      } else if (schema) this.check({ file: op.file, schema }, body, 'body', 'request', errors);
    } else if (body !== undefined) errors.push(`${op.operationId} takes no body`);
    return errors.length ? { status: 422, errors } : undefined;
  }

  /** Problems with a response the fake is about to send (empty when it matches the description). */
  override checkResponse(op: ContractOperation, status: number, body: unknown): string[] {
    const responses = op.op.responses as Record<string, Schema>;
    const found = responses[String(status)] ?? responses.default;
    if (!found) return [`${op.operationId}: status ${status} is not a documented response`];
    const spec = this.deref({ file: op.file, schema: found }).schema;
    const schema = spec.content?.['application/json']?.schema as Schema | undefined;
    const errors: string[] = [];
    if (schema) this.check({ file: op.file, schema }, body, `${status} body`, 'response', errors);
    else if (body !== undefined)
      errors.push(`${op.operationId}: status ${status} has no body in the description`);
    return errors;
  }

  /** Checks `value` against `#/components/schemas/<name>` (for tests). */
  checkSchema(name: string, value: unknown, mode: 'request' | 'response' = 'response'): string[] {
    const errors: string[] = [];
    this.check(
      { file: this.main, schema: { $ref: `#/components/schemas/${name}` } },
      value,
      name,
      mode,
      errors,
    );
    return errors;
  }
}
