/**
 * SOQL date literals (TODAY, LAST_N_DAYS:30, THIS_QUARTER…) as the span of time each stands for.
 *
 * The sandbox org's time zone is GMT and its users' locale en_US, so every span is computed in UTC and
 * weeks start on Sunday. Quarters and years are calendar ones: the fiscal literals (THIS_FISCAL_QUARTER…)
 * depend on a fiscal year setting the org does not model, and are not recognised.
 */

/** A half-open span [start, end) in epoch milliseconds. */
export interface DateRange {
  start: number;
  end: number;
}

const DAY = 86_400_000;

type Span = (now: Clock, n: number) => DateRange;
interface Clock {
  today: number;
  week: number;
  year: number;
  month: number;
}

const months = (c: Clock, from: number, to: number): DateRange => ({ start: Date.UTC(c.year, c.month + from, 1), end: Date.UTC(c.year, c.month + to, 1) });
const quarterStart = (c: Clock) => c.month - (c.month % 3);
const quarters = (c: Clock, from: number, to: number): DateRange => ({ start: Date.UTC(c.year, quarterStart(c) + 3 * from, 1), end: Date.UTC(c.year, quarterStart(c) + 3 * to, 1) });
const years = (c: Clock, from: number, to: number): DateRange => ({ start: Date.UTC(c.year + from, 0, 1), end: Date.UTC(c.year + to, 0, 1) });
const days = (c: Clock, from: number, to: number): DateRange => ({ start: c.today + from * DAY, end: c.today + to * DAY });
const weeks = (c: Clock, from: number, to: number): DateRange => ({ start: c.week + from * 7 * DAY, end: c.week + to * 7 * DAY });

/** Literals that stand alone. */
const FIXED: Record<string, Span> = {
  YESTERDAY: (c) => days(c, -1, 0),
  TODAY: (c) => days(c, 0, 1),
  TOMORROW: (c) => days(c, 1, 2),
  LAST_WEEK: (c) => weeks(c, -1, 0),
  THIS_WEEK: (c) => weeks(c, 0, 1),
  NEXT_WEEK: (c) => weeks(c, 1, 2),
  LAST_MONTH: (c) => months(c, -1, 0),
  THIS_MONTH: (c) => months(c, 0, 1),
  NEXT_MONTH: (c) => months(c, 1, 2),
  // "Starts with the current day and continues for the past 90 days": today is included, 91 days in all.
  LAST_90_DAYS: (c) => days(c, -90, 1),
  // Starts tomorrow: today is not part of it.
  NEXT_90_DAYS: (c) => days(c, 1, 91),
  LAST_QUARTER: (c) => quarters(c, -1, 0),
  THIS_QUARTER: (c) => quarters(c, 0, 1),
  NEXT_QUARTER: (c) => quarters(c, 1, 2),
  LAST_YEAR: (c) => years(c, -1, 0),
  THIS_YEAR: (c) => years(c, 0, 1),
  NEXT_YEAR: (c) => years(c, 1, 2),
};

/** Literals written NAME:n. LAST_N_* ends with the unit before the current one, except LAST_N_DAYS which includes today. */
const WITH_N: Record<string, Span> = {
  LAST_N_DAYS: (c, n) => days(c, -n, 1),
  NEXT_N_DAYS: (c, n) => days(c, 1, 1 + n),
  N_DAYS_AGO: (c, n) => days(c, -n, 1 - n),
  LAST_N_WEEKS: (c, n) => weeks(c, -n, 0),
  NEXT_N_WEEKS: (c, n) => weeks(c, 1, 1 + n),
  N_WEEKS_AGO: (c, n) => weeks(c, -n, 1 - n),
  LAST_N_MONTHS: (c, n) => months(c, -n, 0),
  NEXT_N_MONTHS: (c, n) => months(c, 1, 1 + n),
  N_MONTHS_AGO: (c, n) => months(c, -n, 1 - n),
  LAST_N_QUARTERS: (c, n) => quarters(c, -n, 0),
  NEXT_N_QUARTERS: (c, n) => quarters(c, 1, 1 + n),
  N_QUARTERS_AGO: (c, n) => quarters(c, -n, 1 - n),
  LAST_N_YEARS: (c, n) => years(c, -n, 0),
  NEXT_N_YEARS: (c, n) => years(c, 1, 1 + n),
  N_YEARS_AGO: (c, n) => years(c, -n, 1 - n),
};

/** 'fixed' for TODAY and the like, 'n' for those that need `:n`, undefined for any other word. */
export function dateLiteralKind(word: string): 'fixed' | 'n' | undefined {
  const upper = word.toUpperCase();
  return upper in FIXED ? 'fixed' : upper in WITH_N ? 'n' : undefined;
}

/** The span a date literal stands for at `now` (GMT, Sunday-first weeks). */
export function dateLiteralRange(name: string, n: number | undefined, now = Date.now()): DateRange {
  const today = Math.floor(now / DAY) * DAY;
  const date = new Date(today);
  const clock: Clock = { today, week: today - date.getUTCDay() * DAY, year: date.getUTCFullYear(), month: date.getUTCMonth() };
  const upper = name.toUpperCase();
  const span = FIXED[upper] ?? WITH_N[upper];
  if (!span) throw new Error(`not a date literal: ${name}`);
  return span(clock, n ?? 0);
}

/** A stored date ('2026-01-31') or datetime ('2026-01-31T10:00:00.000+0000') as epoch milliseconds; NaN if neither. */
export function instantOf(value: unknown): number {
  if (typeof value !== 'string') return NaN;
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value);
}

/** How `field <op> LITERAL` reads over a span, as SOQL defines it: `<` is before the span starts, `>` after it ends. */
export function compareToRange(at: number, op: '=' | '!=' | '<' | '<=' | '>' | '>=', range: DateRange): boolean {
  switch (op) {
    case '=':
      return at >= range.start && at < range.end;
    case '!=':
      return !(at >= range.start && at < range.end);
    case '<':
      return at < range.start;
    case '<=':
      return at < range.end;
    case '>':
      return at >= range.end;
    case '>=':
      return at >= range.start;
  }
}
