/** Keyset paging for the cloud ERP's list endpoints: the cursor names the last key already returned. */
export class InvalidCursorError extends Error {}

export function encodeCursor(lastKey: string): string {
  return Buffer.from(JSON.stringify({ after: lastKey }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through: any unreadable cursor is the caller's mistake
  }
  throw new InvalidCursorError(`cursor ${cursor} is not one this API issued`);
}

/** `repeatsCursor` (a fault, asked only for a next page) serves the page and hands back the cursor it was asked with, as a paging bug would. */
export function pageOf<T>(items: T[], keyOf: (item: T) => string, pageSize: number, cursor?: string, repeatsCursor: () => boolean = () => false): { data: T[]; nextCursor: string | null } {
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const after = cursor ? decodeCursor(cursor) : undefined;
  const rest = after === undefined ? sorted : sorted.filter((item) => keyOf(item) > after);
  const data = rest.slice(0, pageSize);
  if (cursor && repeatsCursor()) return { data, nextCursor: cursor };
  return { data, nextCursor: rest.length > pageSize ? encodeCursor(keyOf(data[data.length - 1])) : null };
}
