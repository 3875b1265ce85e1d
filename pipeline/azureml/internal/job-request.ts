import type { AzureMachineLearningWorkspaces, JobBase } from '@azure/arm-machinelearning';
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import { z } from 'zod';
import type { CommandJobSpec } from '../azureml-client.js';

/**
 * The job PUT (`Jobs_CreateOrUpdate`) without the SDK's serializer.
 *
 * `@azure/arm-machinelearning` 2.1.1 (the last release; no newer version is on npm) loses the
 * properties of asset inputs when it serialises a job: `{jobInputType: 'uri_folder', uri}`
 * goes out as `{"jobInputType":"uri_folder"}` (Azure/azure-sdk-for-js#29328: the polymorphic
 * mapper it picks for `uri_folder` has no `uri`), which the service refuses with 400 "Request
 * is invalid and/or missing fields". Sending a newer api-version does not help: the defect is
 * in the client-side mapper, whatever version is on the URL. Patching the body in a pipeline
 * policy would mean re-serialising behind the SDK's back on every request.
 *
 * So this one call builds its JSON body itself, checks it with the zod schema below (the
 * subset of the 2024-04-01 `JobBaseResource` we send, with `uri` required as the description
 * requires), and sends it through the SDK client's own pipeline (`sendRequest`): the same
 * credential / bearer-token policy, retries on 429/5xx, user agent and tracing as every other
 * call; only the serializer is skipped. The answer is read with a zod schema of the few fields
 * we use. Errors become a `RestError` with the service's status and code, as the SDK's are.
 */

const literalInput = z.strictObject({ jobInputType: z.literal('literal'), value: z.string() });
const assetInput = z.strictObject({
  jobInputType: z.enum(['uri_folder', 'uri_file']),
  uri: z.string().min(1),
  mode: z.enum(['ReadOnlyMount', 'Download']).optional(),
});
const assetOutput = z.strictObject({
  jobOutputType: z.enum(['uri_folder', 'uri_file']),
  mode: z.enum(['ReadWriteMount', 'Upload']),
  uri: z.string().min(1).optional(),
});
const stringMap = z.record(z.string(), z.string());

/** The body of the job PUT, as sent (a subset of the 2024-04-01 `JobBaseResource`). */
export const CommandJobRequestSchema = z.strictObject({
  properties: z.strictObject({
    jobType: z.literal('Command'),
    displayName: z.string(),
    experimentName: z.string(),
    description: z.string().optional(),
    computeId: z.string().startsWith('/subscriptions/'),
    environmentId: z.string().startsWith('/subscriptions/'),
    command: z.string().min(1),
    inputs: z.record(z.string(), z.union([literalInput, assetInput])),
    outputs: z.record(z.string(), assetOutput),
    environmentVariables: stringMap,
    tags: stringMap,
    resources: z.strictObject({ instanceCount: z.number().int().min(1) }),
    limits: z.strictObject({ jobLimitsType: z.literal('Command'), timeout: z.string().regex(/^P/) }),
  }),
});
export type CommandJobRequest = z.infer<typeof CommandJobRequestSchema>;

/** The fields of a job answer that opp reads (see toJob). */
const JobAnswerSchema = z.looseObject({
  name: z.string().optional(),
  properties: z.looseObject({
    jobType: z.string(),
    status: z.string().optional(),
    displayName: z.string().nullish(),
    outputs: z.record(z.string(), z.looseObject({ uri: z.string().nullish() }).nullable()).nullish(),
    services: z.record(z.string(), z.looseObject({ endpoint: z.string().nullish() }).nullable()).nullish(),
  }),
});

/** Our job spec → the wire body of the job PUT (checked). */
export function commandJobRequest(spec: CommandJobSpec): CommandJobRequest {
  return CommandJobRequestSchema.parse({
    properties: {
      jobType: 'Command',
      displayName: spec.displayName,
      experimentName: spec.experimentName,
      ...(spec.description ? { description: spec.description } : {}),
      computeId: spec.computeId,
      environmentId: spec.environmentId,
      command: spec.command,
      inputs: Object.fromEntries(
        Object.entries(spec.inputs).map(([k, v]) => [
          k,
          v.type === 'literal'
            ? { jobInputType: 'literal', value: v.value }
            : { jobInputType: v.type, uri: v.uri },
        ]),
      ),
      outputs: Object.fromEntries(
        Object.entries(spec.outputs).map(([k, v]) => [
          k,
          { jobOutputType: v.type, mode: v.mode ?? 'ReadWriteMount', ...(v.uri ? { uri: v.uri } : {}) },
        ]),
      ),
      environmentVariables: spec.environmentVariables,
      tags: spec.tags,
      resources: { instanceCount: spec.instanceCount },
      limits: { jobLimitsType: 'Command', timeout: spec.timeout },
    },
  });
}

/**
 * PUTs a job through the SDK client's pipeline with a body we serialised ourselves.
 *
 * @param jobUrl - the job's full URL without query (`{endpoint}/subscriptions/…/jobs/{name}`).
 */
export async function putJob(
  sdk: AzureMachineLearningWorkspaces,
  jobUrl: string,
  apiVersion: string,
  body: CommandJobRequest,
): Promise<JobBase> {
  const request = createPipelineRequest({
    url: `${jobUrl}?api-version=${encodeURIComponent(apiVersion)}`,
    method: 'PUT',
    headers: createHttpHeaders({ 'content-type': 'application/json', accept: 'application/json' }),
    body: JSON.stringify(CommandJobRequestSchema.parse(body)),
    // As the SDK client is built: plain http only for a local fake's http:// endpoint.
    allowInsecureConnection: jobUrl.startsWith('http://'),
  });
  const response = await sdk.sendRequest(request);
  let parsed: unknown;
  try {
    parsed = response.bodyAsText ? JSON.parse(response.bodyAsText) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.status !== 200 && response.status !== 201) {
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    throw new RestError(typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`, {
      statusCode: response.status,
      ...(typeof error?.code === 'string' ? { code: error.code } : {}),
      request,
      response,
    });
  }
  const answer = JobAnswerSchema.safeParse(parsed);
  if (!answer.success)
    throw new RestError(`unexpected answer to the job PUT: ${answer.error.message}`, {
      statusCode: response.status,
      request,
      response,
    });
  return answer.data as unknown as JobBase;
}
