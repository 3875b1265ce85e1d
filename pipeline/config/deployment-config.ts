import { z } from 'zod';
import { loadConfig } from './load-config.js';

/** Azure ML endpoint and deployment names: 3-32 characters, a letter first, then letters, digits and '-'. */
export const AZUREML_ENDPOINT_NAME = /^[a-zA-Z][a-zA-Z0-9-]{2,31}$/;

const percent = z.number().int().min(1).max(100);

export const TrafficConfigSchema = z
  .strictObject({
    /** Percent of traffic on the new deployment after each step; ascending, ending at 100. */
    steps: z.array(percent).min(1).default([10, 100]),
    /** How long each step runs before health and error rate are checked. */
    stepWaitSeconds: z.number().min(0).default(60),
    /** Highest error rate (0-1) the new deployment may show at a step. */
    maxErrorRate: z.number().min(0).max(1).default(0.01),
    /** How long a new deployment may take to become healthy. */
    healthTimeoutSeconds: z.number().min(0).default(900),
    /** Pause between health polls while waiting for a new deployment. */
    healthPollSeconds: z.number().min(0).default(10),
  })
  .superRefine((t, ctx) => {
    t.steps.forEach((s, i) => {
      if (i > 0 && s <= t.steps[i - 1]!)
        ctx.addIssue({ code: 'custom', path: ['steps', i], message: 'steps must increase' });
    });
    if (t.steps.at(-1) !== 100)
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'the last step must be 100' });
  });

export const DeploymentConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  /** Where `opp deploy` deploys by default (`--target` overrides). */
  target: z.enum(['local', 'azureml']).default('local'),
  /** Which registry `opp register`/`opp deploy` use by default (`--registry` overrides). */
  registry: z.enum(['local', 'azureml']).default('local'),
  /** Endpoint name (per-division mode appends `-d<division id>`). */
  endpoint: z
    .string()
    .regex(AZUREML_ENDPOINT_NAME, 'expected 3-32 letters, digits or "-", starting with a letter'),
  traffic: TrafficConfigSchema.prefault({}),
  /** Deployments kept per endpoint after a successful deploy (the new one included); older idle ones are deleted. */
  keepDeployments: z.number().int().min(1).default(2),
  /** Lines of container log put into a failed deployment's error. */
  logTailLines: z.number().int().min(1).default(200),
  divisions: z
    .strictObject({
      /**
       * `single-endpoint`: one endpoint, one deployment of the whole bundle (all division models),
       * routing by division in the server. `per-division`: one endpoint per division, each
       * deployment serving one division (`OPP_DIVISION`), each rolled out on its own.
       */
      mode: z.enum(['single-endpoint', 'per-division']).default('single-endpoint'),
    })
    .prefault({}),
  local: z
    .strictObject({
      /**
       * Command that serves a bundle; tokens `{bundle}`, `{port}` (0: pick a free one),
       * `{division}` and `{root}` (opp's package folder) are replaced. It must print its URL
       * (`http://127.0.0.1:<port>`) on stdout once listening.
       */
      serverCommand: z.array(z.string().min(1)).min(1),
      healthPath: z.string().startsWith('/').default('/health/ready'),
      readyTimeoutSeconds: z.number().min(0).default(30),
      /** Health probes per check; the error rate is the failing fraction. */
      healthProbes: z.number().int().min(1).default(5),
    })
    .optional(),
  azureml: z
    .strictObject({
      /** Azure region of the workspace, e.g. `westeurope`. */
      location: z.string().min(1),
      /** ARM id (or `azureml:` reference) of the environment with the serving container. */
      environmentId: z.string().min(1),
      instanceType: z.string().default('Standard_DS3_v2'),
      instanceCount: z.number().int().min(1).default(1),
      authMode: z.enum(['Key', 'AMLToken']).default('Key'),
      /** Polling interval of long-running Azure ML operations. */
      pollSeconds: z.number().min(0).default(10),
      /**
       * Error-rate probe: real scoring calls to the new deployment at each check. Absent: health
       * is the provisioning state alone.
       */
      probe: z
        .strictObject({
          requests: z.number().int().min(1).default(5),
          /** A request body the scoring server accepts. */
          body: z.unknown(),
        })
        .optional(),
    })
    .optional(),
});

export type DeploymentConfig = z.output<typeof DeploymentConfigSchema>;

/** Reads and validates `configs/deployment.json` (or another file of that shape). */
export function loadDeploymentConfig(file: string): DeploymentConfig {
  return loadConfig(file, DeploymentConfigSchema);
}
