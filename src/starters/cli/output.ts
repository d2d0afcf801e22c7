import Table from 'cli-table3';
import type { CliContext } from './context';

export type Cell = string | number | boolean | undefined | null;

// Colours only on a terminal: piped output stays plain text.
const style = () => (process.stdout.isTTY ? {} : { head: [], border: [] });

/** A table with a header row, for lists. */
export function table(head: string[], rows: Cell[][]): string {
  const t = new Table({ head, style: style() });
  for (const row of rows) t.push(row.map((c) => (c === undefined || c === null ? '' : String(c))));
  return t.toString();
}

/** A two-column key/value table, for one record; undefined values are left out. */
export function record(fields: Record<string, Cell>): string {
  // Long values (a process's state) wrap inside the terminal's width instead of widening the table.
  const width = Math.max(60, process.stdout.columns ?? 120);
  const t = new Table({ style: style(), colWidths: [22, width - 26], wordWrap: true, wrapOnWordBoundary: false });
  for (const [key, value] of Object.entries(fields)) if (value !== undefined && value !== null && value !== '') t.push({ [key]: String(value) });
  return t.toString();
}

/** --json prints `data` as JSON; otherwise the human rendering. Always to stdout, one document. */
export function emit(ctx: CliContext, data: unknown, human: () => string): void {
  process.stdout.write(`${ctx.json ? JSON.stringify(data, null, 2) : human()}\n`);
}

/** Compact JSON for a cell (states and results inside a human table). */
export function brief(value: unknown, max = 400): string {
  if (value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
