import { type AzureMlClient, environmentResourceId, workspaceResourceId } from '../azureml/azureml-client.js';
import type {
  CreateDeploymentRequest,
  DeployedModel,
  DeploymentTarget,
  HealthReport,
} from './deployment-target.js';

/** Settings of deployments on Azure ML managed online endpoints (`azureml` in configs/deployment.json). */
export interface AzureMlDeploymentSettings {
  location: string;
  /**
   * Environment with the serving container (custom container running our server): an ARM id,
   * `name:version` or `azureml:name:version` (turned into the ARM id), or `azureml://registries/…`.
   */
  environmentId: string;
  instanceType: string;
  instanceCount: number;
  authMode: 'Key' | 'AMLToken';
  /** Polling interval of long-running operations, ms. Default: the SDK's. */
  pollIntervalMs?: number;
  /**
   * Measures a deployment's error rate (e.g. from scoring calls or Azure Monitor). Default:
   * none (0), so health is the provisioning state alone.
   */
  probe?: (endpoint: string, deployment: string) => Promise<{ errorRate: number; detail?: string }>;
}

/** Tags opp puts on deployments. */
const TAG_MODEL = 'opp.model';
const TAG_VERSION = 'opp.version';
const TAG_CREATED = 'opp.createdAt';

/**
 * Deployment target on Azure ML managed online endpoints (key auth by default): one deployment
 * per model version, traffic set by replacing the endpoint's traffic map.
 */
export class AzureMlDeploymentTarget implements DeploymentTarget {
  readonly kind = 'azureml';

  constructor(
    private readonly client: AzureMlClient,
    private readonly settings: AzureMlDeploymentSettings,
  ) {}

  private get lro() {
    return this.settings.pollIntervalMs !== undefined ? { pollIntervalMs: this.settings.pollIntervalMs } : {};
  }

  async ensureEndpoint(endpoint: string): Promise<void> {
    if (await this.client.getEndpoint(endpoint)) return;
    await this.client.putEndpoint(
      {
        name: endpoint,
        location: this.settings.location,
        authMode: this.settings.authMode,
        traffic: {},
        tags: { 'opp.managed': 'true' },
      },
      this.lro,
    );
  }

  async getTraffic(endpoint: string): Promise<Record<string, number>> {
    const ep = await this.client.getEndpoint(endpoint);
    return Object.fromEntries(Object.entries(ep?.traffic ?? {}).filter(([, p]) => p > 0));
  }

  async setTraffic(endpoint: string, traffic: Record<string, number>): Promise<void> {
    const ep = await this.client.getEndpoint(endpoint);
    if (!ep) throw new Error(`endpoint ${endpoint} does not exist`);
    await this.client.putEndpoint({ ...ep, traffic: { ...traffic } }, this.lro);
  }

  async listDeployments(endpoint: string): Promise<DeployedModel[]> {
    return (await this.client.listDeployments(endpoint)).map((d) => ({
      name: d.name,
      ...(d.tags[TAG_MODEL] ? { model: d.tags[TAG_MODEL] } : {}),
      ...(d.tags[TAG_VERSION] ? { version: d.tags[TAG_VERSION] } : {}),
      ...(d.tags[TAG_CREATED] ? { createdAt: d.tags[TAG_CREATED] } : {}),
    }));
  }

  async createDeployment(endpoint: string, request: CreateDeploymentRequest): Promise<void> {
    const { model } = request;
    await this.client.putDeployment(
      endpoint,
      request.name,
      {
        location: this.settings.location,
        modelId: workspaceResourceId(this.client.workspace, `models/${model.name}/versions/${model.version}`),
        environmentId: environmentResourceId(this.client.workspace, this.settings.environmentId),
        instanceType: this.settings.instanceType,
        instanceCount: this.settings.instanceCount,
        environmentVariables: {
          OPP_MODEL: model.name,
          OPP_MODEL_VERSION: model.version,
          ...(request.division !== undefined ? { OPP_DIVISION: String(request.division) } : {}),
        },
        tags: {
          [TAG_MODEL]: model.name,
          [TAG_VERSION]: model.version,
          [TAG_CREATED]: new Date().toISOString(),
        },
      },
      this.lro,
    );
  }

  async checkHealth(endpoint: string, deployment: string): Promise<HealthReport> {
    const d = await this.client.getDeployment(endpoint, deployment);
    const state = d?.provisioningState ?? 'missing';
    if (state !== 'Succeeded') return { healthy: false, errorRate: 1, detail: `provisioning state ${state}` };
    const measured = this.settings.probe ? await this.settings.probe(endpoint, deployment) : { errorRate: 0 };
    return {
      healthy: true,
      errorRate: measured.errorRate,
      detail: measured.detail ?? 'provisioning state Succeeded',
    };
  }

  async getLogs(endpoint: string, deployment: string, tail: number): Promise<string> {
    return this.client.getDeploymentLogs(endpoint, deployment, tail);
  }

  async deleteDeployment(endpoint: string, deployment: string): Promise<void> {
    await this.client.deleteDeployment(endpoint, deployment, this.lro);
  }

  async scoringUri(endpoint: string): Promise<string | undefined> {
    return (await this.client.getEndpoint(endpoint))?.scoringUri;
  }
}
