import { SourceError } from '../errors/SourceError.js';
import type { TimeWindow } from '../storage/run-state.js';
import { trimTrailingSlashes } from '../util/trim-trailing-slashes.js';
import { postJsonWithRetry, type RetryOptions } from './fetch-with-retry.js';

/** One entry of the search index: an (encoded) record id and when the record last changed. */
export interface IndexEntry {
  indexId: string;
  modified: Date;
}

export interface IndexClientOptions {
  /** Service URL, e.g. `https://name.search.windows.net`. */
  endpoint: string;
  indexName: string;
  /** Query key, sent in `api-key`. */
  apiKey: string;
  /** Default 2024-07-01. */
  apiVersion?: string;
  /** Key field of the index's documents. Default `id`. */
  keyField?: string;
  /** Last-modified field (DateTimeOffset, filterable and sortable). Default `lastModified`. */
  modifiedField?: string;
  /** Results per page (Azure allows up to 1,000). Default 1000. */
  pageSize?: number;
  retry?: RetryOptions;
}

/**
 * Lists the record ids changed in a time window from an Azure AI Search index
 * (`POST /indexes/{index}/docs/search`). Pages by last-modified time and a small `skip` past
 * ties, never by a growing `skip`, so a window of any size stays under the service's
 * 100,000-skip limit.
 */
export class IndexClient {
  private readonly url: string;
  private readonly keyField: string;
  private readonly modifiedField: string;
  private readonly pageSize: number;

  constructor(private readonly options: IndexClientOptions) {
    const base = trimTrailingSlashes(options.endpoint);
    this.url = `${base}/indexes/${encodeURIComponent(options.indexName)}/docs/search?api-version=${options.apiVersion ?? '2024-07-01'}`;
    this.keyField = options.keyField ?? 'id';
    this.modifiedField = options.modifiedField ?? 'lastModified';
    this.pageSize = options.pageSize ?? 1000;
  }

  /** Pages of entries with window.from ≤ modified < window.to, in (modified, id) order. */
  async *listChanged(window: TimeWindow): AsyncGenerator<IndexEntry[]> {
    let cursor = window.from;
    let skip = 0;
    for (;;) {
      const page = await this.search(cursor, window.to, skip);
      if (page.length > 0) yield page;
      if (page.length < this.pageSize) return;
      const last = page.at(-1)!.modified;
      if (last.getTime() === cursor.getTime()) {
        skip += page.length;
      } else {
        cursor = last;
        skip = page.filter((e) => e.modified.getTime() === last.getTime()).length;
      }
    }
  }

  private async search(from: Date, to: Date, skip: number): Promise<IndexEntry[]> {
    const m = this.modifiedField;
    const body = {
      search: '*',
      filter: `${m} ge ${from.toISOString()} and ${m} lt ${to.toISOString()}`,
      orderby: `${m} asc, ${this.keyField} asc`,
      select: `${this.keyField}, ${m}`,
      top: this.pageSize,
      skip,
    };
    const answer = await postJsonWithRetry(
      this.url,
      { 'api-key': this.options.apiKey },
      body,
      'search index page',
      this.options.retry,
    );
    const value = (answer as { value?: unknown }).value;
    if (!Array.isArray(value)) throw new SourceError('search index answered without a "value" array');
    return value.map((doc: Record<string, unknown>) => {
      const indexId = doc[this.keyField];
      const modified = new Date(String(doc[m]));
      if (typeof indexId !== 'string' || Number.isNaN(modified.getTime())) {
        throw new SourceError(
          `search index document lacks a string "${this.keyField}" or a date "${m}": ${JSON.stringify(doc).slice(0, 200)}`,
        );
      }
      return { indexId, modified };
    });
  }
}
