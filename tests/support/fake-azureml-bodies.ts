import { z } from 'zod';

/**
 * Request body shapes of the Azure ML ARM calls opp makes (api-version 2022-10-01), written
 * from the published REST examples (Azure/azure-rest-api-specs,
 * specification/machinelearningservices/…/stable/2022-10-01/examples/): our own schemas,
 * with optional fields opp does not send, and the required ones required.
 */

const str = z.string();
const strRecord = z.record(z.string(), z.string().nullable());
/** Body shapes, from the REST examples (our own schemas; fields opp does not send are optional). */
export const Bodies = {
  modelVersion: z.strictObject({
    properties: z.strictObject({
      description: str.optional(),
      tags: strRecord.optional(),
      properties: strRecord.optional(),
      isAnonymous: z.boolean().optional(),
      isArchived: z.boolean().optional(),
      flavors: z.record(z.string(), z.unknown()).optional(),
      jobName: str.optional(),
      modelType: str.optional(),
      modelUri: str,
    }),
  }),
  job: z.strictObject({
    properties: z.looseObject({
      jobType: z.literal('Command'),
      command: str.min(1),
      environmentId: str.min(1),
      computeId: str.optional(),
      displayName: str.optional(),
      experimentName: str.optional(),
      inputs: z
        .record(
          z.string(),
          z.looseObject({ jobInputType: z.enum(['literal', 'uri_folder', 'uri_file', 'mltable']) }),
        )
        .optional(),
      outputs: z
        .record(
          z.string(),
          z.looseObject({ jobOutputType: z.enum(['uri_folder', 'uri_file', 'custom_model']) }),
        )
        .optional(),
      environmentVariables: strRecord.optional(),
      limits: z.looseObject({ jobLimitsType: z.literal('Command'), timeout: str.regex(/^P/) }).optional(),
      resources: z.looseObject({ instanceCount: z.number().int().min(1).optional() }).optional(),
      tags: strRecord.optional(),
    }),
  }),
  endpoint: z.strictObject({
    location: str.min(1),
    tags: z.record(z.string(), z.string()).optional(),
    kind: str.optional(),
    identity: z.unknown().optional(),
    sku: z.unknown().optional(),
    properties: z.looseObject({
      authMode: z.enum(['Key', 'AMLToken', 'AADToken']),
      traffic: z.record(z.string(), z.number().int().min(0).max(100)).optional(),
    }),
  }),
  deployment: z.strictObject({
    location: str.min(1),
    tags: z.record(z.string(), z.string()).optional(),
    kind: str.optional(),
    identity: z.unknown().optional(),
    sku: z.looseObject({ name: str, capacity: z.number().int().min(1).optional() }).optional(),
    properties: z.looseObject({
      endpointComputeType: z.literal('Managed'),
      model: str.optional(),
      environmentId: str.optional(),
      instanceType: str.optional(),
      environmentVariables: strRecord.optional(),
    }),
  }),
  getLogs: z.strictObject({
    containerType: z.enum(['StorageInitializer', 'InferenceServer']).optional(),
    tail: z.number().int().min(0).optional(),
  }),
};
