import type { Command } from 'commander';
import { loadDeploymentConfig } from '../../config/deployment-config.js';
import { LocalDeploymentTarget } from '../../deployment/LocalDeploymentTarget.js';
import { startLocalEndpointRouter } from '../../deployment/LocalEndpointRouter.js';
import { LocalModelRegistry } from '../../registry/LocalModelRegistry.js';
import { defaultConfigPath } from '../../util/package-root.js';
import { endpointName, wholeNumber } from '../options.js';
import { createOutput } from '../output.js';

/** `opp endpoint serve`: the local twin of a managed online endpoint's traffic split. */
export function registerEndpoint(program: Command): void {
  const endpoint = program
    .command('endpoint')
    .description('Local endpoints (the twin of Azure ML online endpoints)');
  endpoint
    .command('serve')
    .description('Serve a local endpoint: route requests across its deployments by traffic (until Ctrl-C)')
    .option('--endpoint <name>', 'endpoint name (default: from the config)', endpointName)
    .option('--config <file>', 'deployment config', defaultConfigPath('deployment.json'))
    .option('--port <n>', 'port (0: a free one)', wholeNumber(0), 0)
    .option('--json', 'print one JSON result ({endpoint, url}) on stdout once listening')
    .action(async (opts: { endpoint?: string; config: string; port: number; json?: boolean }) => {
      const output = createOutput(Boolean(opts.json));
      const name = opts.endpoint ?? loadDeploymentConfig(opts.config).endpoint;
      const target = new LocalDeploymentTarget(new LocalModelRegistry(), { serverCommand: ['node'] });
      const router = await startLocalEndpointRouter(() => target.getEndpointState(name), { port: opts.port });
      output.result({ endpoint: name, url: router.url }, () => `endpoint ${name} listening on ${router.url}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await router.close();
    });
}
