/** The legacy finance ERP's tables, with the column names it has had since the nineties. */
export interface LegacyCreditMemo {
  CM_NO: string;
  CUST_NO: string;
  ORD_REF: string;
  /** Decimal string with two places, e.g. "12.34". */
  AMT: string;
  CURR: string;
  /** D = draft, P = posted, V = void. */
  STAT: 'D' | 'P' | 'V';
  /** YYYYMMDD */
  BUS_DATE: string;
  RSN: string;
  EXT_REF?: string;
  /** YYYYMMDDHHMMSS, UTC */
  CRT_TS: string;
  PST_TS?: string;
  VOID_TS?: string;
}

export interface LegacyLedgerEntry {
  ENTRY_NO: string;
  ACCT: string;
  /** D = debit, C = credit. */
  DRCR: 'D' | 'C';
  AMT: string;
  CURR: string;
  REF: string;
  BUS_DATE: string;
  PST_TS: string;
}

export interface LegacyErpState {
  creditMemos: Record<string, LegacyCreditMemo>;
  ledger: LegacyLedgerEntry[];
  counters: Record<string, number>;
}

export const seedLegacyErp = (): LegacyErpState => ({ creditMemos: {}, ledger: [], counters: {} });

export function nextNumber(state: LegacyErpState, series: string, start: number): number {
  state.counters[series] = (state.counters[series] ?? start) + 1;
  return state.counters[series];
}

/** Now as the legacy timestamp YYYYMMDDHHMMSS (UTC). */
export const legacyTimestamp = (date = new Date()) => date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
