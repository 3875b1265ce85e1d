import type { ModelVersion } from '../registry/model-registry.js';

/** A deployment on an endpoint, as a target lists it. */
export interface DeployedModel {
  name: string;
  model?: string;
  version?: string;
  /** ISO time; used to pick the oldest deployments for clean-up. */
  createdAt?: string;
}

/** What to deploy. */
export interface CreateDeploymentRequest {
  /** Deployment name, unique on the endpoint. */
  name: string;
  model: ModelVersion;
  /** Serve only this division (per-division mode); absent: the whole bundle. */
  division?: number;
}

/** One health check of a deployment. */
export interface HealthReport {
  healthy: boolean;
  /** Fraction (0-1) of failed requests or probes seen by this check. */
  errorRate: number;
  detail: string;
}

/**
 * Where deployments run: Azure ML managed online endpoints ({@link AzureMlDeploymentTarget})
 * or local server processes ({@link LocalDeploymentTarget}). The blue/green logic in
 * {@link deployModelVersion} drives either one.
 */
export interface DeploymentTarget {
  readonly kind: 'local' | 'azureml';
  /** Creates the endpoint if it does not exist. */
  ensureEndpoint(endpoint: string): Promise<void>;
  /** Deployment name → percent of traffic (sums to 100, or empty). */
  getTraffic(endpoint: string): Promise<Record<string, number>>;
  setTraffic(endpoint: string, traffic: Record<string, number>): Promise<void>;
  listDeployments(endpoint: string): Promise<DeployedModel[]>;
  /** Creates a deployment and waits until it is provisioned/started; throws if it fails. */
  createDeployment(endpoint: string, request: CreateDeploymentRequest): Promise<void>;
  checkHealth(endpoint: string, deployment: string): Promise<HealthReport>;
  /** The tail of the deployment's container/server log ('' when there is none). */
  getLogs(endpoint: string, deployment: string, tail: number): Promise<string>;
  deleteDeployment(endpoint: string, deployment: string): Promise<void>;
  /**
   * The URL clients score on (Azure ML's `scoringUri`); absent on targets without one
   * endpoint-wide URL (the local target's router is started separately).
   */
  scoringUri?(endpoint: string): Promise<string | undefined>;
}

/** A deployment name for a model version: `<model>-v<version>[-d<division>]`, at most 32 characters. */
export function deploymentName(model: string, version: string, division?: number): string {
  const suffix = `-v${version}${division === undefined ? '' : `-d${division}`}`;
  const base = model.replace(/[^A-Za-z0-9-]/g, '-').replace(/^[^A-Za-z]+/, '');
  return `${(base || 'm').slice(0, 32 - suffix.length)}${suffix}`;
}
