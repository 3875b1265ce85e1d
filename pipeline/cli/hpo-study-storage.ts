import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { JsonLinesStudyStorage } from '../../model/hpo/json-lines-study-storage.js';
import type { StudyStorage } from '../../model/hpo/study-storage.js';
import { InputError } from '../errors/InputError.js';
import { AzureTableStudyStorage } from '../storage/azure-table-study-storage.js';
import { resolveStorage } from '../storage/resolve-storage.js';
import { oppPath } from '../util/opp-home.js';

/** `--storage` value naming an Azure Table: `azure-table://<table>`. */
const AZURE_TABLE_SCHEME = 'azure-table://';
/** Azure Table names: a letter, then letters or digits, 3 to 63 characters. */
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

/** Where `opp hpo` keeps a study, opened from its `--storage` option. */
export interface HpoStudyStorage {
  readonly storage: StudyStorage;
  /** The study file, or `azure-table://<table>`: for messages and the JSON result. */
  readonly location: string;
  /**
   * Path the study's context file is kept next to (see `checkHpoStudyContext`); absent for a
   * table, whose study header holds the context where every machine checks it.
   */
  readonly contextBase?: string;
  /** Trials stored before this run, for the progress bar (0 when not known up front). */
  readonly storedBefore: number;
  /** Stops the Azurite started for it, if one was. */
  close(): Promise<void>;
}

/**
 * The study storage `--storage` names: a JSON-lines file (default
 * `$OPP_HOME/studies/<study>.jsonl`), or `azure-table://<table>` on the account in
 * `$OPP_STORAGE_CONNECTION_STRING` (a local Azurite under `$OPP_HOME/azurite` when unset).
 *
 * @throws InputError for a bad table name.
 */
export async function openHpoStudyStorage(
  option: string | undefined,
  study: string,
): Promise<HpoStudyStorage> {
  if (!option?.startsWith(AZURE_TABLE_SCHEME)) {
    const file = resolve(option ?? oppPath('studies', `${study}.jsonl`));
    return {
      storage: new JsonLinesStudyStorage(file),
      location: file,
      contextBase: file,
      storedBefore: storedTrials(file),
      close: async () => undefined,
    };
  }
  const table = option.slice(AZURE_TABLE_SCHEME.length);
  if (!TABLE_NAME.test(table)) {
    throw new InputError(
      `--storage ${option}: an Azure Table name is a letter then letters or digits, 3 to 63 characters`,
    );
  }
  const target = await resolveStorage();
  return {
    storage: AzureTableStudyStorage.fromConnectionString(target.connectionString, table),
    location: option,
    storedBefore: 0,
    close: () => target.close(),
  };
}

/** Trials already in a study file (for the progress bar's start); 0 when there is none. */
function storedTrials(file: string): number {
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{"kind":"trial"')).length;
}
