/**
 * Escaping for text that comes from data (metrics reports, comparison reports, gate reasons,
 * error messages) on its way into GitHub Markdown: PR comments and job summaries. A report
 * from a pull request's run is written by the pull request's code, so every string in it is
 * hostile until escaped: a division named `<img src=x onerror=…>`, `[link](http://evil)` or
 * `@org/team` must render as those characters, not as an image, a link or a mention.
 */

/** A zero-width space: breaks `@mention`, `#123` and URL autolinks without showing. */
const ZWSP = '\u200b';

/** Markdown punctuation that starts emphasis, code, links, headings, tables or strikethrough. */
const MARKDOWN_SPECIAL = /[\\`*_[\]()#|~!]/g;

/**
 * Escapes `text` so that GitHub renders it as plain text, inline (also safe in a table cell):
 * - `&`, `<`, `>` become HTML entities (no tag, comment or `<autolink>` can open);
 * - `` \ ` * _ [ ] ( ) # | ~ ! `` are backslash-escaped (no emphasis, code span, link, image,
 *   heading, strikethrough or table column);
 * - `@` and `#` are followed by a zero-width space, and so are the `:` of `scheme://` and the
 *   `www` of `www.`: GitHub links mentions, issue references and bare URLs after Markdown is
 *   rendered, on the text itself, so backslashes alone would not stop them;
 * - line breaks, other control characters and bidirectional overrides become spaces (nothing
 *   can start a new block or reorder what follows).
 *
 * @example escapeMarkdown('<img src=x> @org/team') // '&lt;img src=x&gt; @\u200borg/team'
 */
export function escapeMarkdown(text: string): string {
  return breakAutolinks(oneLine(text))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(MARKDOWN_SPECIAL, '\\$&');
}

/**
 * Escapes `text` for HTML content (e.g. inside `<summary>`, where Markdown backslash escapes are
 * not processed): `& < > " ' [ ]` become entities (no tag, and no link should the text end up
 * in Markdown after all), and mentions, references and bare URLs are broken
 * with a zero-width space as in {@link escapeMarkdown}.
 */
export function escapeHtml(text: string): string {
  return breakAutolinks(oneLine(text))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/\[/g, '&#91;')
    .replace(/\]/g, '&#93;');
}

/**
 * Line breaks and other control characters as spaces: escaped text never starts a new block.
 * Bidirectional overrides and isolates go too, so a name cannot reorder the text after it.
 */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it replaces
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, ' ');
}

/** Puts a zero-width space after `@` and `#`, in `scheme://` and in `www.`: GitHub links none of them then. */
function breakAutolinks(text: string): string {
  return text
    .replace(/@/g, `@${ZWSP}`)
    .replace(/#/g, `#${ZWSP}`)
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/\bwww\./gi, (www) => `${www.slice(0, 3)}${ZWSP}.`);
}

/** Text that may stand in a code span as it is: identifiers, hashes, versions (`name:3`), paths. */
const CODE_SAFE = /^[\w.:/+=-]{1,200}$/;

/**
 * `text` as an inline code span when it is a plain token (letters, digits and `_ . : / + = -`),
 * else as escaped text: a code span cannot escape a backtick, so anything else is not put in one.
 */
export function inlineCode(text: string): string {
  return CODE_SAFE.test(text) ? `\`${text}\`` : escapeMarkdown(text);
}

/**
 * A fenced code block around `body` whose fence is longer than any run of backticks in it,
 * so the body cannot close the block early and continue as Markdown.
 */
export function codeBlock(body: string, language = ''): string {
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${body}\n${fence}`;
}
