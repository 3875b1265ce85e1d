import { type Command, InvalidArgumentError, Option } from 'commander';
import { type AzureConnectionOverrides, connectAzureMl } from '../../azureml/create-client.js';
import { loadDeploymentConfig } from '../../config/deployment-config.js';
import { readBundleLineage } from '../../registry/bundle-lineage.js';
import { createRegistry, type RegistryKind } from '../../registry/create-registry.js';
import { MODEL_STAGES, type ModelStage } from '../../registry/model-registry.js';
import { findVersionOnSnapshot, snapshotCoverage } from '../../registry/same-snapshot.js';
import { defaultConfigPath } from '../../util/package-root.js';
import { createOutput } from '../output.js';

interface RegisterOptions {
  bundle: string;
  name: string;
  stage: ModelStage;
  tag: Record<string, string>;
  registry?: RegistryKind;
  config: string;
  snapshotId?: string;
  gitSha?: string;
  skipSameSnapshot?: boolean;
  json?: boolean;
}

/** `key=value` options collected into a record. */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

/** `opp register`: adds a bundle folder to the registry as the next version of a model. */
export function registerRegister(program: Command, azure: AzureConnectionOverrides = {}): void {
  program
    .command('register')
    .description('Register a model bundle folder as a new model version (lineage from its metrics.json)')
    .requiredOption('--bundle <dir>', 'bundle folder (must hold metrics.json)')
    .requiredOption('--name <model>', 'model name')
    .addOption(new Option('--stage <stage>', 'initial stage').choices([...MODEL_STAGES]).default('candidate'))
    .option('--tag <key=value>', 'tag (repeatable)', keyValue, {})
    .addOption(
      new Option('--registry <kind>', 'registry (default: from the config)').choices(['local', 'azureml']),
    )
    .option('--config <file>', 'deployment config', defaultConfigPath('deployment.json'))
    .option('--snapshot-id <id>', 'data snapshot id (default: from metrics.json)')
    .option('--git-sha <sha>', 'git commit (default: from metrics.json, else $GITHUB_SHA)')
    .option(
      '--skip-same-snapshot',
      'register nothing when a production or candidate version was trained on the same snapshot',
    )
    .option('--json', 'print one JSON result on stdout')
    .action(async (opts: RegisterOptions) => {
      const output = createOutput(Boolean(opts.json));
      const config = loadDeploymentConfig(opts.config);
      const registry = await createRegistry(opts.registry ?? config.registry, () => connectAzureMl(azure));
      const lineage = await readBundleLineage(opts.bundle);
      if (opts.snapshotId) lineage.snapshotId = opts.snapshotId;
      const gitSha = opts.gitSha ?? lineage.gitSha ?? process.env.GITHUB_SHA;
      if (gitSha) lineage.gitSha = gitSha;
      if (opts.skipSameSnapshot && lineage.snapshotId) {
        const existing = await findVersionOnSnapshot(registry, opts.name, lineage.snapshotId);
        if (existing) {
          output.result({ registry: registry.kind, skipped: true, ...existing }, () =>
            [
              `skipped: ${existing.name}:${existing.version} (${existing.stage}) was trained on snapshot ${lineage.snapshotId}`,
              '  nothing registered',
            ].join('\n'),
          );
          return;
        }
      }
      const version = await registry.registerVersion(opts.name, opts.bundle, lineage, {
        tags: opts.tag,
        stage: opts.stage,
      });
      output.result({ registry: registry.kind, skipped: false, ...version }, () =>
        [
          `registered ${version.name}:${version.version} (${version.stage}) in the ${registry.kind} registry`,
          `  ${version.files.length} files, uri ${version.uri}`,
          ...Object.entries(version.lineage.metrics ?? {}).map(([k, v]) => `  ${k.padEnd(10)} ${v}`),
        ].join('\n'),
      );
    });
}

interface RetrainCheckOptions {
  snapshotId: string;
  name: string[];
  registry?: RegistryKind;
  config: string;
  json?: boolean;
}

/**
 * `opp retrain-check`: whether training on a snapshot would be new for the named models
 * (`changed` false when each has a production or candidate version trained on it, the test of
 * `register --skip-same-snapshot`). retrain.yml skips its training jobs on `changed: false`.
 */
export function registerRetrainCheck(program: Command, azure: AzureConnectionOverrides = {}): void {
  program
    .command('retrain-check')
    .description(
      'Whether a snapshot is new to the models: changed=false when each has a production or candidate version trained on it',
    )
    .requiredOption('--snapshot-id <id>', 'data snapshot id (opp snapshot prints it)')
    .requiredOption('--name <model>', 'model name (repeatable)', (value: string, previous: string[] = []) => [
      ...previous,
      value,
    ])
    .addOption(
      new Option('--registry <kind>', 'registry (default: from the config)').choices(['local', 'azureml']),
    )
    .option('--config <file>', 'deployment config', defaultConfigPath('deployment.json'))
    .option('--json', 'print one JSON result on stdout')
    .action(async (opts: RetrainCheckOptions) => {
      const output = createOutput(Boolean(opts.json));
      const config = loadDeploymentConfig(opts.config);
      const registry = await createRegistry(opts.registry ?? config.registry, () => connectAzureMl(azure));
      const coverage = await snapshotCoverage(registry, opts.name, opts.snapshotId);
      const models = coverage.models.map(({ name, existing }) =>
        existing ? { name, version: existing.version, stage: existing.stage } : { name },
      );
      output.result(
        { registry: registry.kind, snapshotId: opts.snapshotId, changed: coverage.changed, models },
        () =>
          [
            `${coverage.changed ? 'changed' : 'unchanged'}: snapshot ${opts.snapshotId}`,
            ...models.map((m) =>
              'version' in m
                ? `  ${m.name}:${m.version} (${m.stage}) was trained on it`
                : `  ${m.name}: no live version on it`,
            ),
          ].join('\n'),
      );
    });
}
