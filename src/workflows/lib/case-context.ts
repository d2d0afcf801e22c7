import type { SearchAttributePair } from '@temporalio/common';
import type { Case } from '../../domain/case';
import type { Order } from '../../domain/order';
import { CaseNumber, Channel, CustomerId, CustomerSegment, OrderNumber, Region, Stage, StoreId } from '../search-attributes';

/**
 * Who and what a customer-service process is about: the Salesforce case, its order and the
 * customer's store and region. Every such workflow carries it, and its search attributes come from it.
 */
export interface CaseContext {
  /** Salesforce Case record id (18 characters), for write-backs. */
  caseId: string;
  /** The Case Number: workflow ids are built from it (case-resolution/{caseNumber}, refund/{caseNumber}). */
  caseNumber: string;
  orderNumber: string;
  customerId: string;
  storeId: string;
  region: string;
  segment?: string;
  channel?: string;
}

/** Who the process is about, from the Case (and its Account) first, then the order. */
export function caseContextOf(kase: Case, order: Order): CaseContext {
  return {
    caseId: kase.caseId,
    caseNumber: kase.caseNumber,
    orderNumber: order.orderNumber,
    customerId: kase.customerId ?? order.customerId,
    storeId: kase.storeId ?? order.storeId,
    region: kase.region ?? order.region,
    segment: kase.segment,
    channel: order.channel,
  };
}

/** The search attributes a process about this case starts with, so the Web UI can find it by case, order, store and region. */
export function caseSearchAttributes(ctx: CaseContext, stage: string): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: CaseNumber, value: ctx.caseNumber },
    { key: OrderNumber, value: ctx.orderNumber },
    { key: CustomerId, value: ctx.customerId },
    { key: StoreId, value: ctx.storeId },
    { key: Region, value: ctx.region },
    { key: Stage, value: stage },
  ];
  if (ctx.segment) pairs.push({ key: CustomerSegment, value: ctx.segment });
  if (ctx.channel) pairs.push({ key: Channel, value: ctx.channel });
  return pairs;
}

export const workflowIds = {
  caseResolution: (caseNumber: string) => `case-resolution/${caseNumber}`,
  refund: (caseNumber: string) => `refund/${caseNumber}`,
  replacement: (caseNumber: string) => `replacement/${caseNumber}`,
};
