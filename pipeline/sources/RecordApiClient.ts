import { SourceError } from '../errors/SourceError.js';
import { postJsonWithRetry, type RetryOptions } from './fetch-with-retry.js';

/** The record API's limit of ids per call (SEED.md). */
export const RECORD_API_BATCH_LIMIT = 100;

export interface RecordApiClientOptions {
  /** Full URL of GetBatchRecords, e.g. `https://x.azurewebsites.net/api/GetBatchRecords`. */
  url: string;
  /** Function key, sent in `x-functions-key`. */
  key: string;
  retry?: RetryOptions;
}

/** Fetches full records by decoded id: `POST …/GetBatchRecords {"RecordIds": [...]}`. */
export class RecordApiClient {
  constructor(private readonly options: RecordApiClientOptions) {}

  /**
   * Returns the records the API knows among `recordIds` (≤ 100), unvalidated: callers validate
   * each with parseRawRecord and quarantine what fails.
   * @throws RangeError for more than 100 ids; SourceError when the API keeps failing.
   */
  async getBatch(recordIds: readonly string[]): Promise<unknown[]> {
    if (recordIds.length > RECORD_API_BATCH_LIMIT) {
      throw new RangeError(`at most ${RECORD_API_BATCH_LIMIT} ids per call, but got ${recordIds.length}`);
    }
    if (recordIds.length === 0) return [];
    const answer = await postJsonWithRetry(
      this.options.url,
      { 'x-functions-key': this.options.key },
      { RecordIds: recordIds },
      `record API batch of ${recordIds.length}`,
      this.options.retry,
    );
    if (Array.isArray(answer)) return answer;
    // Some deployments wrap the list; accept the common wrappers.
    for (const key of ['records', 'Records', 'value']) {
      const list = (answer as Record<string, unknown> | null)?.[key];
      if (Array.isArray(list)) return list;
    }
    throw new SourceError('record API answered with neither a JSON array nor {"records": [...]}');
  }
}
