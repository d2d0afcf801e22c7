import { NonRetryableDownstreamError, type SystemName } from '../../domain/errors';

/** A downstream answered a cursor it had already answered: its paging loops, and a retry would loop again. */
export function repeatedCursorError(system: SystemName, operation: string, cursor: string): NonRetryableDownstreamError {
  return new NonRetryableDownstreamError('RepeatedCursorError', {
    system,
    operation,
    code: 'REPEATED_CURSOR',
    message: `the next-page cursor ${cursor.length > 120 ? `${cursor.slice(0, 120)}…` : cursor} was already followed; paging stopped`,
    details: { cursor },
  });
}

/**
 * The cursors one listing has followed: `follow` hands a new one back and refuses one seen before,
 * so a system that repeats a cursor (or cycles between a few) stops the listing instead of looping.
 */
export class CursorTrail {
  private readonly followed = new Set<string>();

  constructor(
    private readonly system: SystemName,
    private readonly operation: string,
  ) {}

  follow(cursor: string): string {
    if (this.followed.has(cursor)) throw repeatedCursorError(this.system, this.operation, cursor);
    this.followed.add(cursor);
    return cursor;
  }
}
