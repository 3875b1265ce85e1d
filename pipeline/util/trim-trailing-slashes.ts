/**
 * `text` without the slashes it ends with (`https://host/api//` → `https://host/api`). A loop,
 * not `replace(/\/+$/, '')`: that pattern retries at every slash of a long run and takes
 * quadratic time on one that is followed by anything else.
 */
export function trimTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 47) end--;
  return text.slice(0, end);
}
