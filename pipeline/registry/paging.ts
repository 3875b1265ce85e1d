/** Settings of one `byPage` call (the shape of `@azure/core-paging`'s PageSettings). */
export interface PageSettings {
  /** Opaque token from a previous page; start at the beginning when absent. */
  continuationToken?: string;
  /** Largest page wanted; implementations may return fewer. */
  maxPageSize?: number;
}

/** One page of results plus the token of the next page (absent on the last page). */
export interface Page<T> {
  items: T[];
  continuationToken?: string;
}

/** An async iterable of items that can also be walked page by page. */
export interface PagedAsyncIterable<T> extends AsyncIterable<T> {
  byPage(settings?: PageSettings): AsyncIterableIterator<T[] & { continuationToken?: string }>;
}

/** Default page size when the caller gives none. */
export const DEFAULT_PAGE_SIZE = 50;

/**
 * Builds a {@link PagedAsyncIterable} from a function that fetches one page.
 *
 * @param fetchPage - fetches the page after `token` (undefined: the first page).
 */
export function createPagedIterable<T>(
  fetchPage: (token: string | undefined, maxPageSize: number) => Promise<Page<T>>,
): PagedAsyncIterable<T> {
  async function* pages(settings: PageSettings = {}) {
    let token = settings.continuationToken;
    const size = settings.maxPageSize ?? DEFAULT_PAGE_SIZE;
    do {
      const page = await fetchPage(token, size);
      token = page.continuationToken;
      yield Object.assign([...page.items], { continuationToken: token });
    } while (token);
  }
  return {
    byPage: pages,
    async *[Symbol.asyncIterator]() {
      for await (const page of pages()) yield* page;
    },
  };
}

/** Encodes a page position as an opaque token. */
export function encodeToken(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Decodes a token from {@link encodeToken}; `undefined` for a token that is not ours. */
export function decodeToken<T>(token: string | undefined): T | undefined {
  if (!token) return undefined;
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Collects every item of an async iterable (tests, small listings). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
