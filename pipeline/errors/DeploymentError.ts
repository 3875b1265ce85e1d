import { OppError } from './OppError.js';

/**
 * A deployment failed (provisioning, health or error rate). `rolledBack` says whether the
 * endpoint's traffic was restored to `traffic`; `logs` is the failed deployment's container
 * log tail, so the error is never a bare "OperationFailed".
 */
export class DeploymentError extends OppError {
  override name = 'DeploymentError';

  constructor(
    message: string,
    readonly details: {
      endpoint: string;
      deployment: string;
      /** The step that failed: `create`, `health`, `traffic` or `cleanup`. */
      phase: 'create' | 'health' | 'traffic' | 'cleanup';
      rolledBack: boolean;
      /** The endpoint's traffic after the failure (the previous traffic when rolled back). */
      traffic: Record<string, number>;
      logs?: string;
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isDeploymentError(error: unknown): error is DeploymentError {
  return error instanceof DeploymentError;
}
