import { isAxiosError } from 'axios';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import { classifyAxiosError, parseRetryAfter, type ErrorDetail } from '../shared/classify';
import { NonRetryableDownstreamError, RetryableDownstreamError, type DownstreamError, type NonRetryableType } from '../../domain/errors';
import { creditMemoId, type CreditMemo } from '../../domain/credit-memo';
import type { LedgerEntry } from '../../domain/ledger';
import { fromDecimal } from '../../domain/money';

/** The legacy ERP's XML envelope, its column-named records, and its fault codes. */
const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true, isArray: (name) => name === 'CreditMemo' || name === 'LedgerEntry' });
const builder = new XMLBuilder({ format: false, suppressEmptyNode: true });

export function buildEnvelope(requestId: string, user: string, operation: string, payload: Record<string, string | number | undefined>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${builder.build({ Request: { Header: { RequestId: requestId, User: user }, Body: { [operation]: payload } } }) as string}`;
}

export function parseXml(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string' || !text.trim().startsWith('<')) return {};
  try {
    return parser.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function readFault(body: unknown): ErrorDetail {
  const fault = parseXml(body).Fault as { Code?: unknown; Message?: unknown } | undefined;
  return { code: typeof fault?.Code === 'string' ? fault.Code : undefined, message: typeof fault?.Message === 'string' ? fault.Message : undefined };
}

const FAULT_TYPES: [RegExp, NonRetryableType][] = [
  [/^VAL-/, 'ValidationError'],
  [/^NF-/, 'NotFoundError'],
  [/^STATE-/, 'BusinessRejectionError'],
  [/^IDEM-/, 'IdempotencyConflictError'],
  [/^AUTH-/, 'AuthorizationError'],
];
// A locked record frees up within seconds; without a Retry-After, wait this long before the next try.
const SYS_LOCK_DELAY_MS = 2000;

/**
 * The legacy system answers every fault with HTTP 500, so the fault code decides: VAL/NF/STATE/IDEM/AUTH
 * are the caller's problem, SYS-* (and anything unknown) is transient. Gateway statuses (401, 429, 503)
 * and network failures are classified the usual way.
 */
export function classifyLegacyError(operation: string, err: unknown): DownstreamError {
  if (isAxiosError(err) && err.response?.status === 500) {
    const fault = readFault(err.response.data);
    if (fault.code) {
      const init = { system: 'erp-legacy' as const, operation, status: 500, code: fault.code, message: fault.message ?? fault.code };
      const type = FAULT_TYPES.find(([pattern]) => pattern.test(fault.code!))?.[1];
      if (type) return new NonRetryableDownstreamError(type, init);
      const retryAfterMs = parseRetryAfter(err.response.headers?.['retry-after']) ?? (fault.code === 'SYS-LOCK' ? SYS_LOCK_DELAY_MS : undefined);
      return new RetryableDownstreamError('DownstreamUnavailableError', { ...init, retryAfterMs });
    }
  }
  return classifyAxiosError('erp-legacy', operation, err, readFault);
}

const Amount = z.string().regex(/^-?\d+\.\d{2}$/);
const Currency = z.string().regex(/^[A-Z]{3}$/);
const BusDate = z.string().regex(/^\d{8}$/);
const Stamp = z.string().regex(/^\d{14}$/);

export const LegacyCreditMemo = z.object({
  CM_NO: z.string().min(1),
  CUST_NO: z.string().min(1),
  ORD_REF: z.string().min(1),
  AMT: Amount,
  CURR: Currency,
  STAT: z.enum(['D', 'P', 'V']),
  BUS_DATE: BusDate,
  RSN: z.string().optional(),
  EXT_REF: z.string().optional(),
});
export const LegacyLedgerEntry = z.object({
  ENTRY_NO: z.string().min(1),
  ACCT: z.string().min(1),
  DRCR: z.enum(['D', 'C']),
  AMT: Amount,
  CURR: Currency,
  REF: z.string().min(1),
  BUS_DATE: BusDate,
  PST_TS: Stamp,
});

/** <Response><Body>…</Body></Response>; an empty list element parses as "" and means no rows. */
const rows = <T extends z.ZodTypeAny>(item: T) => z.union([z.literal(''), z.object({ CreditMemo: z.array(item).optional(), LedgerEntry: z.array(item).optional() })]);
export const CreditMemoResponse = z.object({ Response: z.object({ Body: z.object({ CreditMemo: z.array(LegacyCreditMemo).length(1) }) }) });
export const CreditMemoListResponse = z.object({
  Response: z.object({ Body: z.object({ CreditMemoList: rows(LegacyCreditMemo), NextPageToken: z.string().optional() }) }),
});
export const LedgerListResponse = z.object({
  Response: z.object({ Body: z.object({ LedgerEntryList: rows(LegacyLedgerEntry), NextPageToken: z.string().optional() }) }),
});

export const toLegacyDate = (businessDate: string) => businessDate.replaceAll('-', '');
const fromLegacyDate = (d: string) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
const fromLegacyStamp = (s: string) => `${fromLegacyDate(s)}T${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}.000Z`;

export function toCreditMemo(m: z.infer<typeof LegacyCreditMemo>): CreditMemo {
  return {
    creditMemoId: creditMemoId('legacy', m.CM_NO),
    system: 'legacy',
    number: m.CM_NO,
    customerId: m.CUST_NO,
    orderNumber: m.ORD_REF,
    amount: fromDecimal(m.AMT, m.CURR),
    reason: m.RSN,
    reference: m.EXT_REF,
    status: m.STAT === 'D' ? 'draft' : m.STAT === 'P' ? 'posted' : 'void',
    businessDate: fromLegacyDate(m.BUS_DATE),
  };
}

export function toLedgerEntry(e: z.infer<typeof LegacyLedgerEntry>): LedgerEntry {
  return {
    entryId: e.ENTRY_NO,
    system: 'legacy',
    account: e.ACCT,
    side: e.DRCR === 'D' ? 'debit' : 'credit',
    amount: fromDecimal(e.AMT, e.CURR),
    reference: e.REF,
    businessDate: fromLegacyDate(e.BUS_DATE),
    postedAt: fromLegacyStamp(e.PST_TS),
  };
}
