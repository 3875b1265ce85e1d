/** What {@link redactUri} puts where a URI's user name and password were. */
export const REDACTED_USERINFO = '***';

/**
 * A URI fit to print or log: any `user:password@` (userinfo) replaced by `***@`. Strings that
 * are not URIs (a folder) come back unchanged; text that merely holds URIs (an error message)
 * has each one's userinfo replaced. Every place that prints or logs a tracking URI uses this.
 *
 * @example redactUri('https://me:s3cret@mlflow.example.com/') // 'https://***@mlflow.example.com/'
 */
export function redactUri(uri: string): string {
  // A scan, not a global pattern: /scheme:\/\/[^@]*@/g backtracks quadratically on long text.
  let out = '';
  let from = 0;
  for (let slashes = uri.indexOf('://'); slashes !== -1; slashes = uri.indexOf('://', from)) {
    const start = slashes + 3;
    let end = start;
    while (end < uri.length && !AUTHORITY_END.has(uri[end]!) && !/\s/.test(uri[end]!)) end++;
    if (uri[end] === '@' && end > start) {
      out += `${uri.slice(from, start)}${REDACTED_USERINFO}`;
      from = end;
    } else {
      out += uri.slice(from, end);
      from = end;
    }
  }
  return out + uri.slice(from);
}

/** Characters that end a URI's userinfo (the `@`) or show there is none. */
const AUTHORITY_END = new Set(['/', '?', '#', '@']);

/** A URI split into the URI without userinfo and the (percent-decoded) user name and password. */
export interface SplitUserinfo {
  uri: string;
  username?: string;
  password?: string;
}

/**
 * Takes the userinfo out of an http(s) URI, so it can travel as a header instead of in every
 * request URL (where `fetch` refuses it, quoting the URL in its error) and every log line.
 */
export function splitUserinfo(uri: string): SplitUserinfo {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { uri };
  }
  if (!url.username && !url.password) return { uri };
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return { uri: url.href, username, password };
}
