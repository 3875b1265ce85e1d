import type { TokenCredential } from '@azure/identity';

/** Name of the SDK's bearer-token policy, which refuses plain-http URLs. */
const BEARER_POLICY_NAME = 'bearerTokenAuthenticationPolicy';

interface PipelineLike {
  removePolicy(options: { name: string }): unknown;
  addPolicy(
    policy: {
      name: string;
      sendRequest(
        request: { headers: { set(name: string, value: string): void } },
        next: (request: never) => Promise<unknown>,
      ): Promise<unknown>;
    },
    options?: { phase?: 'Serialize' | 'Retry' | 'Sign' },
  ): void;
}

/**
 * For a plain-http ARM endpoint (a local fake): replaces the SDK's bearer-token policy, which
 * refuses http, with one that still asks the credential for a token and sends it, so the
 * credential path is exercised. Never used against https endpoints.
 */
export function useTokenPolicyForHttp(pipeline: unknown, credential: TokenCredential, scope: string): void {
  const p = pipeline as PipelineLike;
  p.removePolicy({ name: BEARER_POLICY_NAME });
  p.addPolicy(
    {
      name: 'oppHttpTokenPolicy',
      async sendRequest(request, next) {
        const token = await credential.getToken(scope);
        if (token) request.headers.set('Authorization', `Bearer ${token.token}`);
        return next(request as never);
      },
    },
    { phase: 'Sign' },
  );
}
