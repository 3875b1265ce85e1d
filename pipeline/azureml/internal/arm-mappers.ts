import type {
  CommandJob,
  JobBase,
  ModelVersion,
  OnlineDeployment,
  OnlineEndpoint,
} from '@azure/arm-machinelearning';
import type {
  DeploymentResource,
  EndpointResource,
  JobResource,
  ModelVersionResource,
} from '../azureml-client.js';

/** Mappers between the SDK 2.1.1 models and our own types (internal to arm-client.ts). */

export function strings(record: Record<string, string | null> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(record ?? {}).filter((e): e is [string, string] => e[1] !== null));
}

export function toModel(m: ModelVersion): ModelVersionResource {
  const nameFromId = /\/models\/([^/]+)\/versions\//.exec(m.id ?? '')?.[1];
  return {
    name: nameFromId ?? '',
    version: m.name ?? '',
    ...(m.properties.description ? { description: m.properties.description } : {}),
    tags: strings(m.properties.tags),
    properties: strings(m.properties.properties),
    ...(m.properties.modelUri ? { modelUri: m.properties.modelUri } : {}),
    ...(m.properties.modelType ? { modelType: m.properties.modelType } : {}),
  };
}

export function toJob(job: JobBase): JobResource {
  const p = job.properties as CommandJob & { services?: Record<string, { endpoint?: string }> };
  const outputs = Object.fromEntries(
    Object.entries(p.outputs ?? {}).map(([k, v]) => [
      k,
      { ...((v as { uri?: string }).uri ? { uri: (v as { uri: string }).uri } : {}) },
    ]),
  );
  const studioUrl = p.services?.Studio?.endpoint;
  return {
    name: job.name ?? '',
    status: p.status ?? 'Unknown',
    ...(p.displayName ? { displayName: p.displayName } : {}),
    outputs,
    ...(studioUrl ? { studioUrl } : {}),
  };
}

export function toEndpoint(e: OnlineEndpoint): EndpointResource {
  return {
    name: e.name ?? '',
    location: e.location,
    authMode: e.properties.authMode as EndpointResource['authMode'],
    traffic: { ...(e.properties.traffic ?? {}) },
    tags: { ...(e.tags ?? {}) },
    ...(e.properties.provisioningState ? { provisioningState: e.properties.provisioningState } : {}),
    ...(e.properties.scoringUri ? { scoringUri: e.properties.scoringUri } : {}),
  };
}

export function toDeployment(d: OnlineDeployment): DeploymentResource {
  return {
    name: d.name ?? '',
    ...(d.properties.provisioningState ? { provisioningState: d.properties.provisioningState } : {}),
    ...(d.properties.model ? { modelId: d.properties.model } : {}),
    tags: { ...(d.tags ?? {}) },
    environmentVariables: strings(d.properties.environmentVariables),
  };
}
