import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { type AzureConnectionOverrides, connectAzureMl } from '../../azureml/create-client.js';
import { beginTrain, fetchTrainOutputs } from '../../azureml/training-job.js';
import { wholeNumber } from '../options.js';
import { createOutput } from '../output.js';
import { keyValue } from './register.js';

const MS = 1000;

interface SubmitTrainOptions {
  compute: string;
  environment: string;
  snapshot: string;
  trainConfig: string;
  gpu?: boolean;
  name?: string;
  experiment: string;
  command?: string;
  timeout: string;
  tag: Record<string, string>;
  wait?: boolean;
  resume?: string;
  download?: string;
  pollSeconds: number;
  json?: boolean;
}

/** `opp aml …`: Azure ML commands (`submit-train`). */
export function registerAml(program: Command, azure: AzureConnectionOverrides = {}): void {
  const aml = program.command('aml').description('Azure ML: training jobs on a compute cluster');
  aml
    .command('submit-train')
    .description(
      'Submit an Azure ML command job that runs `opp train`; with --wait, wait and fetch the bundle',
    )
    .requiredOption('--compute <cluster>', 'compute cluster name')
    .requiredOption('--environment <env>', 'environment, name:version or ARM id (e.g. opp-train-gpu:1)')
    .requiredOption('--snapshot <uri>', 'data snapshot folder URI (azureml://… or https://…)')
    .option('--train-config <path>', 'training config path inside the image', 'configs/production.json')
    .option(
      '--gpu',
      'GPU variant: the job trains on tfjs-node-gpu ($OPP_BACKEND=node-gpu; use the GPU environment)',
    )
    .option('--name <job>', 'job name (default: generated)')
    .option('--experiment <name>', 'experiment name', 'opp')
    .option('--command <cmd>', 'override the job command')
    .option('--timeout <iso>', 'job time limit (ISO 8601 duration)', 'PT4H')
    .option('--tag <key=value>', 'job tag (repeatable)', keyValue, {})
    .option('--wait', 'wait for the job to finish')
    .option('--resume <token>', 'resume waiting for a job submitted earlier (the token printed on submit)')
    .option('--download <dir>', 'with --wait: where to put the bundle (default: a temp folder)')
    .option('--poll-seconds <n>', 'status poll interval', wholeNumber(0), 15)
    .option('--json', 'print one JSON result on stdout')
    .action(async (opts: SubmitTrainOptions) => {
      const output = createOutput(Boolean(opts.json));
      const { client, containerFor } = await connectAzureMl(azure);
      const tags = {
        ...opts.tag,
        ...(process.env.GITHUB_SHA ? { 'opp.gitSha': process.env.GITHUB_SHA } : {}),
      };
      const poller = await beginTrain(
        client,
        {
          compute: opts.compute,
          environment: opts.environment,
          snapshotUri: opts.snapshot,
          configPath: opts.trainConfig,
          experimentName: opts.experiment,
          timeout: opts.timeout,
          tags,
          ...(opts.gpu ? { gpu: true } : {}),
          ...(opts.name ? { jobName: opts.name } : {}),
          ...(opts.command ? { command: opts.command } : {}),
        },
        { updateIntervalInMs: opts.pollSeconds * MS, ...(opts.resume ? { resumeFrom: opts.resume } : {}) },
      );
      const token = poller.toString();
      const jobName = poller.getOperationState().jobName;
      output.note(`job ${jobName} submitted (resume token ${token})`);
      if (!opts.wait) {
        output.result(
          { job: jobName, status: poller.getOperationState().status, resumeToken: token },
          () => `submitted ${jobName}`,
        );
        return;
      }
      poller.onProgress((s) => output.note(`job ${s.jobName}: ${s.status}`));
      const job = await poller.pollUntilDone();
      const dir = opts.download ?? (await mkdtemp(join(tmpdir(), `opp-${jobName}-`)));
      const outputs = await fetchTrainOutputs(client, job, containerFor, dir);
      output.result(
        {
          job: job.name,
          status: job.status,
          resumeToken: token,
          bundleDir: outputs.bundleDir,
          files: outputs.files,
          metrics: outputs.metrics,
        },
        () => `job ${job.name} ${job.status}; bundle in ${outputs.bundleDir} (${outputs.files.length} files)`,
      );
    });
}
