/**
 * The small part of OData `$filter` / `$orderby` that ingestion uses against Azure AI Search:
 * comparisons of the last-modified field joined by `and`, and a sort on fields with asc/desc.
 */

export type Comparison = 'ge' | 'gt' | 'le' | 'lt' | 'eq';

export interface FilterClause {
  field: string;
  op: Comparison;
  /** Milliseconds since the epoch for DateTimeOffset literals, else the string value. */
  value: number | string;
}

const CLAUSE = /^\s*([A-Za-z_][\w/]*)\s+(ge|gt|le|lt|eq)\s+('(?:[^']|'')*'|[0-9][0-9T:.+\-Z]*)\s*$/;

/** Parses `a ge 2024-01-01T00:00:00Z and a lt 2024-02-01T00:00:00Z`; throws SyntaxError otherwise. */
export function parseFilter(filter: string): FilterClause[] {
  if (filter.trim() === '') return [];
  // `(?<!\s)`: a match starts only where a run of blanks starts, not again at each blank of it.
  return filter.split(/(?<!\s)\s+and\s+/i).map((part) => {
    const match = CLAUSE.exec(part);
    if (!match) throw new SyntaxError(`unsupported $filter clause "${part.trim()}"`);
    const [, field, op, literal] = match as unknown as [string, string, Comparison, string];
    if (literal.startsWith("'")) return { field, op, value: literal.slice(1, -1).replace(/''/g, "'") };
    const ms = Date.parse(literal);
    if (Number.isNaN(ms)) throw new SyntaxError(`"${literal}" is not a DateTimeOffset literal`);
    return { field, op, value: ms };
  });
}

export interface OrderBy {
  field: string;
  descending: boolean;
}

/** Parses `lastModified asc, id asc`. */
export function parseOrderBy(orderby: string): OrderBy[] {
  if (orderby.trim() === '') return [];
  return orderby.split(',').map((part) => {
    const match = /^\s*([A-Za-z_][\w/]*)(?:\s+(asc|desc))?\s*$/i.exec(part);
    if (!match) throw new SyntaxError(`unsupported $orderby item "${part.trim()}"`);
    return { field: match[1]!, descending: match[2]?.toLowerCase() === 'desc' };
  });
}
