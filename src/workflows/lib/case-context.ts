import type { SearchAttributePair } from '@temporalio/common';
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
