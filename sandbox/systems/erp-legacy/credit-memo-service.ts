import type { SystemContext } from '../../core/system';
import { nextNumber, legacyTimestamp, type LegacyCreditMemo, type LegacyErpState, type LegacyLedgerEntry } from './state';
import { LegacyFault, type XmlNode } from './xml';

export interface LegacyOperation {
  /** Mutating operations are made idempotent by the envelope's RequestId. */
  mutating: boolean;
  run: (payload: XmlNode, requestId: string) => XmlNode;
}
export type LegacyService = Record<string, LegacyOperation>;

const AMOUNT = /^\d{1,13}\.\d{2}$/;
const BUS_DATE = /^\d{4}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/;
const PAGE_SIZE_MAX = 200;

// Double entry for a customer credit: sales returns up, receivables down.
const SALES_RETURNS = '4100';
const RECEIVABLES = '1200';

const text = (payload: XmlNode, field: string): string | undefined => {
  const value = payload[field];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
};
const required = (payload: XmlNode, field: string): string => {
  const value = text(payload, field);
  if (value === undefined) throw new LegacyFault('VAL-001', `${field} is required`);
  return value;
};

/** Page through rows by key; the token is the last key returned, base64 encoded. */
export function legacyPage<T>(rows: T[], keyOf: (row: T) => string, payload: XmlNode, repeatsToken: () => boolean = () => false): { rows: T[]; next?: string } {
  const size = Number(text(payload, 'PAGE_SIZE') ?? '50');
  if (!Number.isInteger(size) || size < 1 || size > PAGE_SIZE_MAX) throw new LegacyFault('VAL-001', `PAGE_SIZE must be 1..${PAGE_SIZE_MAX}`);
  const token = text(payload, 'PageToken');
  let after: string | undefined;
  if (token) {
    after = Buffer.from(token, 'base64url').toString('utf8');
    if (!after.startsWith('K:')) throw new LegacyFault('VAL-003', 'PageToken is not valid');
    after = after.slice(2);
  }
  // Code-unit order, the order the token's `>` pages by (and cheap enough for a day of 50,000 memos).
  const sorted = [...rows].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((r) => keyOf(r) > after);
  const page = rest.slice(0, size);
  // The repeat-cursor fault: the page again with the token it was asked with.
  if (token && repeatsToken()) return { rows: page, next: token };
  return { rows: page, next: rest.length > size ? Buffer.from(`K:${keyOf(page[page.length - 1])}`, 'utf8').toString('base64url') : undefined };
}

export function busDate(payload: XmlNode): string {
  const value = required(payload, 'BUS_DATE');
  if (!BUS_DATE.test(value)) throw new LegacyFault('VAL-001', 'BUS_DATE must be YYYYMMDD');
  return value;
}

/** CreditMemoService: create (draft), post, void, get and list credit memos. */
export function creditMemoService(ctx: SystemContext<LegacyErpState>): LegacyService {
  const state = () => ctx.store.data;
  const find = (payload: XmlNode): LegacyCreditMemo => {
    const cmNo = required(payload, 'CM_NO');
    const memo = state().creditMemos[cmNo];
    if (!memo) throw new LegacyFault('NF-404', `credit memo ${cmNo} not found`);
    return memo;
  };
  const writeLedger = (memo: LegacyCreditMemo, reversal: boolean) => {
    const PST_TS = legacyTimestamp();
    const lines: [string, LegacyLedgerEntry['DRCR']][] = [
      [SALES_RETURNS, reversal ? 'C' : 'D'],
      [RECEIVABLES, reversal ? 'D' : 'C'],
    ];
    for (const [ACCT, DRCR] of lines) {
      const ENTRY_NO = `JE${String(nextNumber(state(), 'journal', 0)).padStart(9, '0')}`;
      state().ledger.push({ ENTRY_NO, ACCT, DRCR, AMT: memo.AMT, CURR: memo.CURR, REF: memo.CM_NO, BUS_DATE: memo.BUS_DATE, PST_TS });
    }
  };

  return {
    CreateCreditMemo: {
      mutating: true,
      run: (payload, requestId) => {
        const AMT = required(payload, 'AMT');
        if (!AMOUNT.test(AMT) || Number(AMT) <= 0) throw new LegacyFault('VAL-001', 'AMT must be a positive decimal with two places');
        const CURR = required(payload, 'CURR');
        if (!/^[A-Z]{3}$/.test(CURR)) throw new LegacyFault('VAL-001', 'CURR must be a 3-letter currency code');
        const now = legacyTimestamp();
        const memo: LegacyCreditMemo = {
          CM_NO: `CM${nextNumber(state(), 'creditMemo', 700000)}`,
          CUST_NO: required(payload, 'CUST_NO'),
          ORD_REF: required(payload, 'ORD_REF'),
          AMT,
          CURR,
          STAT: 'D',
          BUS_DATE: text(payload, 'BUS_DATE') ? busDate(payload) : now.slice(0, 8),
          RSN: required(payload, 'RSN'),
          EXT_REF: text(payload, 'EXT_REF'),
          CRT_TS: now,
        };
        state().creditMemos[memo.CM_NO] = memo;
        ctx.store.changed();
        ctx.record({ kind: 'creditMemo.drafted', ref: memo.CM_NO, idempotencyKey: requestId, data: { amount: AMT, currency: CURR, orderNumber: memo.ORD_REF } });
        return { CreditMemo: [memo] };
      },
    },
    PostCreditMemo: {
      mutating: true,
      run: (payload, requestId) => {
        const memo = find(payload);
        if (memo.STAT === 'V') throw new LegacyFault('STATE-409', `credit memo ${memo.CM_NO} is void (STAT=V) and cannot be posted`);
        // Posting a posted memo changes nothing: the ledger is written once.
        if (memo.STAT === 'D') {
          memo.STAT = 'P';
          memo.PST_TS = legacyTimestamp();
          writeLedger(memo, false);
          ctx.store.changed();
          ctx.record({ kind: 'creditMemo.posted', ref: memo.CM_NO, idempotencyKey: requestId, data: { amount: memo.AMT, currency: memo.CURR } });
        }
        return { CreditMemo: [memo] };
      },
    },
    VoidCreditMemo: {
      mutating: true,
      run: (payload, requestId) => {
        const memo = find(payload);
        if (memo.STAT !== 'V') {
          if (memo.STAT === 'P') writeLedger(memo, true);
          memo.STAT = 'V';
          memo.VOID_TS = legacyTimestamp();
          ctx.store.changed();
          ctx.record({ kind: 'creditMemo.voided', ref: memo.CM_NO, idempotencyKey: requestId });
        }
        return { CreditMemo: [memo] };
      },
    },
    GetCreditMemo: { mutating: false, run: (payload) => ({ CreditMemo: [find(payload)] }) },
    ListCreditMemos: {
      mutating: false,
      run: (payload) => {
        const date = busDate(payload);
        const page = legacyPage(Object.values(state().creditMemos).filter((m) => m.BUS_DATE === date), (m) => m.CM_NO, payload, () => ctx.faults.repeatsCursor('POST', '/legacy/finance/CreditMemoService'));
        return { CreditMemoList: { CreditMemo: page.rows }, NextPageToken: page.next };
      },
    },
  };
}

/** LedgerService: the general ledger lines of a business date. */
export function ledgerService(ctx: SystemContext<LegacyErpState>): LegacyService {
  return {
    ListLedgerEntries: {
      mutating: false,
      run: (payload) => {
        const date = busDate(payload);
        const page = legacyPage(ctx.store.data.ledger.filter((e) => e.BUS_DATE === date), (e) => e.ENTRY_NO, payload, () => ctx.faults.repeatsCursor('POST', '/legacy/finance/LedgerService'));
        return { LedgerEntryList: { LedgerEntry: page.rows }, NextPageToken: page.next };
      },
    },
  };
}
