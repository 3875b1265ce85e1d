import * as core from '@actions/core';
import { connectAzureMl } from '../../../pipeline/azureml/create-client.js';
import { loadDeploymentConfig } from '../../../pipeline/config/deployment-config.js';
import { readBundleLineage } from '../../../pipeline/registry/bundle-lineage.js';
import { createRegistry } from '../../../pipeline/registry/create-registry.js';
import { findVersionOnSnapshot } from '../../../pipeline/registry/same-snapshot.js';
import { cell, failWith, keyValueTable, writeSummary } from '../../shared/outcome.js';
import { readInputs } from './inputs.js';

/** Registers a trained bundle folder as the next version of a model, with its lineage. */
export async function run(): Promise<void> {
  try {
    const inputs = readInputs();
    const config = loadDeploymentConfig(inputs.config);
    const registry = await createRegistry(inputs.registry ?? config.registry, () => connectAzureMl());
    const lineage = await readBundleLineage(inputs.bundle);
    if (inputs.snapshotId) lineage.snapshotId = inputs.snapshotId;
    const gitSha = inputs.gitSha ?? lineage.gitSha ?? process.env.GITHUB_SHA;
    if (gitSha) lineage.gitSha = gitSha;
    if (inputs.skipSameSnapshot && lineage.snapshotId) {
      const existing = await findVersionOnSnapshot(registry, inputs.name, lineage.snapshotId);
      if (existing) {
        const model = `${existing.name}:${existing.version}`;
        core.notice(
          `${model} (${existing.stage}) was trained on snapshot ${lineage.snapshotId}: nothing registered`,
        );
        core.setOutput('skipped', 'true');
        core.setOutput('name', existing.name);
        core.setOutput('version', existing.version);
        core.setOutput('model', model);
        core.setOutput('stage', existing.stage);
        core.setOutput('uri', existing.uri);
        core.setOutput('registry', registry.kind);
        await writeSummary(
          [
            `## opp register: skipped, ${cell(model)} (${cell(existing.stage)}) has the same snapshot`,
            '',
            keyValueTable([
              ['registry', registry.kind],
              ['snapshot', lineage.snapshotId],
              ['existing version', model],
            ]),
            '',
          ].join('\n'),
        );
        return;
      }
    }
    const version = await registry.registerVersion(inputs.name, inputs.bundle, lineage, {
      tags: inputs.tags,
      stage: inputs.stage,
    });
    core.setOutput('skipped', 'false');
    core.setOutput('name', version.name);
    core.setOutput('version', version.version);
    core.setOutput('model', `${version.name}:${version.version}`);
    core.setOutput('stage', version.stage);
    core.setOutput('uri', version.uri);
    core.setOutput('registry', registry.kind);
    await writeSummary(
      [
        `## opp register: ${cell(`${version.name}:${version.version}`)} (${cell(version.stage)})`,
        '',
        keyValueTable([
          ['registry', registry.kind],
          ['uri', version.uri],
          ['files', version.files.length],
          ['snapshot', version.lineage.snapshotId ?? '(unknown)'],
          ['git commit', version.lineage.gitSha ?? '(unknown)'],
          ...Object.entries(version.lineage.metrics ?? {}).map(([k, v]): [string, unknown] => [k, v]),
          ...Object.entries(inputs.tags).map(([k, v]): [string, unknown] => [`tag ${k}`, v]),
        ]),
        '',
      ].join('\n'),
    );
  } catch (error) {
    failWith(error);
  }
}
