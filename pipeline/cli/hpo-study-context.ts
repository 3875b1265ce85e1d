import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hashJson } from '../../model/bundle/provenance.js';
import { StudyError } from '../errors/StudyError.js';

/**
 * What a study's trial values depend on besides the search space (which the study file's
 * header guards): the data, the feature spec, the base training config and the seed. Trials
 * scored on other data or with another config are not comparable, so a study is only resumed
 * with the same ones. A type (not an interface) so that it is a `StudyContext`: `opp hpo` also
 * stores it in the study's header, which is what guards a study shared through an Azure Table.
 */
export type HpoStudyContext = {
  /** SHA-256 of the data file's bytes. */
  readonly data: string;
  /** SHA-256 of the feature spec file's bytes. */
  readonly spec: string;
  /** `hashJson` of the training config the trials start from (with --max-epochs applied). */
  readonly config: string;
  readonly seed: number;
};

/** The context of a study run on these files. */
export async function hpoStudyContext(
  data: string,
  spec: string,
  config: unknown,
  seed: number,
): Promise<HpoStudyContext> {
  return { data: await hashFile(data), spec: await hashFile(spec), config: hashJson(config), seed };
}

/**
 * Records `context` next to the study file (`<study file>.context.json`) on the study's first
 * run, and on later runs checks that it has not changed.
 *
 * @throws StudyError naming what differs, before any trial runs.
 */
export async function checkHpoStudyContext(studyFile: string, context: HpoStudyContext): Promise<void> {
  const file = `${studyFile}.context.json`;
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<HpoStudyContext>;
    const labels: Record<keyof HpoStudyContext, string> = {
      data: 'data file (--data)',
      spec: 'feature spec (--spec)',
      config: 'training config (--config, --max-epochs)',
      seed: 'seed (--seed)',
    };
    const differ = (Object.keys(labels) as (keyof HpoStudyContext)[]).filter((k) => stored[k] !== context[k]);
    if (differ.length > 0) {
      throw new StudyError(
        `${studyFile}: this study was run with a different ${differ.map((k) => labels[k]).join(', ')} ` +
          `(recorded in ${file}); its trials would not be comparable: start a new study (another --study name)`,
        studyFile,
      );
    }
    return;
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(context, null, 2)}\n`);
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
