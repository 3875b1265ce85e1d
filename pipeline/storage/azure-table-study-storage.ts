import { odata, TableClient, type TableEntityResult } from '@azure/data-tables';
import { checkHeader, type StudyHeader, type StudyStorage } from '../../model/hpo/study-storage.js';
import type { TrialRecord } from '../../model/hpo/trial.js';
import { TrialRecordSchema } from '../../model/hpo/trial-record-schema.js';
import { StudyError } from '../errors/StudyError.js';
import { isInsecure } from './storage-clients.js';
import { HTTP_CONFLICT, HTTP_PRECONDITION_FAILED, restStatus } from './storage-errors.js';

/** RowKey of a study's header row. */
const HEADER_ROW = 'header';
/** RowKeys of trial rows: this prefix, then the number zero-padded so keys sort by number. */
const TRIAL_ROW_PREFIX = 'trial-';
/** Digits of a padded trial number (Number.MAX_SAFE_INTEGER has 16). */
const TRIAL_NUMBER_DIGITS = 10;
/** The first character after `-`: trial rows are those with `trial-` <= RowKey < `trial.`. */
const TRIAL_ROW_END = 'trial.';

type RowState = 'running' | TrialRecord['state'];

interface HeaderRow {
  partitionKey: string;
  rowKey: string;
  /** The {@link StudyHeader} as JSON. */
  header: string;
}

interface TrialRow {
  partitionKey: string;
  rowKey: string;
  state: RowState;
  /** The finished {@link TrialRecord} as JSON; absent while running. */
  record?: string;
  claimedAt?: string;
}

/** The RowKey of trial `number`, e.g. `trial-0000000042`. */
export function trialRowKey(number: number): string {
  return `${TRIAL_ROW_PREFIX}${String(number).padStart(TRIAL_NUMBER_DIGITS, '0')}`;
}

/**
 * A study in an Azure Table, shared by every process and machine that opens it (a GitHub
 * Actions matrix, Azure ML jobs): PartitionKey = the study's name; a `header` row holding the
 * {@link StudyHeader} (inserted if absent, so machines starting one study agree on it); one row
 * per trial, RowKey {@link trialRowKey}. A trial number is claimed by inserting its row with
 * state `running`: the service refuses a second insert of one key (409 Conflict), and the loser
 * tries the next number. The finished trial replaces its row, checked against the claim's
 * ETag, so each number is stored once. Rows of trials whose process was killed stay `running`;
 * their numbers are skipped.
 *
 * @example
 * const storage = new AzureTableStudyStorage(TableClient.fromConnectionString(conn, 'oppStudies'));
 */
export class AzureTableStudyStorage implements StudyStorage {
  private study: string | undefined;
  /** The lowest number not known to be claimed: where the next claim starts. */
  private nextNumber = 0;
  /** ETags of the running rows this instance claimed, by trial number. */
  private readonly claims = new Map<number, string>();

  /** @param table - the table (created on open when missing); one table holds many studies. */
  constructor(private readonly table: TableClient) {}

  /** A storage on table `tableName` of the account in `connectionString` (no I/O). */
  static fromConnectionString(connectionString: string, tableName: string): AzureTableStudyStorage {
    return new AzureTableStudyStorage(
      TableClient.fromConnectionString(connectionString, tableName, {
        // @azure/data-tables refuses http endpoints (Azurite) unless told to allow them.
        allowInsecureConnection: isInsecure(connectionString),
      }),
    );
  }

  async open(header: StudyHeader): Promise<TrialRecord[]> {
    this.study = header.name;
    await this.call('creating the table', async () => {
      try {
        await this.table.createTable();
      } catch (error) {
        if (restStatus(error) !== HTTP_CONFLICT) throw error;
      }
    });
    const row: HeaderRow = { partitionKey: header.name, rowKey: HEADER_ROW, header: JSON.stringify(header) };
    const created = await this.call('writing the study header', async () => {
      try {
        await this.table.createEntity(row);
        return true;
      } catch (error) {
        if (restStatus(error) === HTTP_CONFLICT) return false;
        throw error;
      }
    });
    if (!created) {
      const stored = await this.call('reading the study header', () =>
        this.table.getEntity<HeaderRow>(header.name, HEADER_ROW),
      );
      checkHeader(this.parseHeader(stored), header, this.source());
    }
    return this.listTrials();
  }

  async claimTrialNumber(): Promise<number> {
    const study = this.openStudy();
    for (;;) {
      const number = this.nextNumber++;
      const row: TrialRow = {
        partitionKey: study,
        rowKey: trialRowKey(number),
        state: 'running',
        claimedAt: new Date().toISOString(),
      };
      const etag = await this.call(`claiming trial ${number}`, async () => {
        try {
          return (await this.table.createEntity(row)).etag;
        } catch (error) {
          // Another process holds this number: try the next one.
          if (restStatus(error) === HTTP_CONFLICT) return undefined;
          throw error;
        }
      });
      if (etag !== undefined) {
        this.claims.set(number, etag);
        return number;
      }
    }
  }

  async saveTrial(trial: TrialRecord): Promise<void> {
    const row: TrialRow = {
      partitionKey: this.openStudy(),
      rowKey: trialRowKey(trial.number),
      state: trial.state,
      record: JSON.stringify(trial),
    };
    const etag = this.claims.get(trial.number);
    const refused = await this.call(`storing trial ${trial.number}`, async () => {
      try {
        // A claimed trial replaces its own running row; any other is inserted, never overwritten.
        if (etag === undefined) await this.table.createEntity(row);
        else await this.table.updateEntity(row, 'Replace', { etag });
        return false;
      } catch (error) {
        const status = restStatus(error);
        if (status === HTTP_CONFLICT || status === HTTP_PRECONDITION_FAILED) return true;
        throw error;
      }
    });
    if (refused)
      throw new StudyError(`${this.source()}: trial ${trial.number} is already stored`, this.study);
    this.claims.delete(trial.number);
    this.nextNumber = Math.max(this.nextNumber, trial.number + 1);
  }

  async listTrials(): Promise<TrialRecord[]> {
    const study = this.openStudy();
    const rows = await this.call('listing the trials', async () => {
      const out: TableEntityResult<TrialRow>[] = [];
      const filter = odata`PartitionKey eq ${study} and RowKey ge ${TRIAL_ROW_PREFIX} and RowKey lt ${TRIAL_ROW_END}`;
      for await (const row of this.table.listEntities<TrialRow>({ queryOptions: { filter } })) out.push(row);
      return out;
    });
    const trials: TrialRecord[] = [];
    for (const row of rows) {
      const number = Number(row.rowKey.slice(TRIAL_ROW_PREFIX.length));
      if (Number.isSafeInteger(number)) this.nextNumber = Math.max(this.nextNumber, number + 1);
      if (row.state !== 'running') trials.push(this.parseTrial(row));
    }
    return trials.sort((a, b) => a.number - b.number);
  }

  private openStudy(): string {
    if (this.study === undefined) throw new StudyError(`${this.table.tableName}: the study is not open`);
    return this.study;
  }

  private source(): string {
    return `Azure table "${this.table.tableName}", study "${this.study}"`;
  }

  /** Runs one storage call, turning a failure into a StudyError that says what was being done. */
  private async call<T>(doing: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const status = restStatus(error);
      const detail =
        status === undefined
          ? `storage did not answer (${(error as Error).message})`
          : `storage answered HTTP ${status}`;
      throw new StudyError(`${this.source()}: ${doing} failed: ${detail}`, this.study, { cause: error });
    }
  }

  private parseHeader(row: HeaderRow): StudyHeader {
    let value: unknown;
    try {
      value = JSON.parse(row.header);
    } catch (error) {
      throw new StudyError(`${this.source()}: bad JSON in the header row`, this.study, { cause: error });
    }
    const header = value as Partial<StudyHeader>;
    if (typeof header.name !== 'string' || !header.space || !Array.isArray(header.space.params))
      throw new StudyError(`${this.source()}: the header row is not a study header`, this.study);
    return header as StudyHeader;
  }

  private parseTrial(row: TrialRow): TrialRecord {
    let value: unknown;
    try {
      value = JSON.parse(row.record ?? '');
    } catch (error) {
      throw new StudyError(`${this.source()}: row ${row.rowKey}: bad JSON in its record`, this.study, {
        cause: error,
      });
    }
    const parsed = TrialRecordSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new StudyError(
        `${this.source()}: row ${row.rowKey}: bad trial record: ${issue.path.join('.')} ${issue.message}`,
        this.study,
      );
    }
    return parsed.data;
  }
}
