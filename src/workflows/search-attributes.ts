import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * The custom search attributes every workflow carries, so the Web UI and `temporal workflow list`
 * can answer "which orders of store 114 failed today?". The one source: the dev server registers
 * these (temporal-config/search-attributes.ts), workflows upsert them and clients set them at start.
 */
export const CaseNumber = defineSearchAttributeKey('CaseNumber', SearchAttributeType.KEYWORD);
export const OrderNumber = defineSearchAttributeKey('OrderNumber', SearchAttributeType.KEYWORD);
export const CustomerId = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const StoreId = defineSearchAttributeKey('StoreId', SearchAttributeType.KEYWORD);
export const Region = defineSearchAttributeKey('Region', SearchAttributeType.KEYWORD);
export const CustomerSegment = defineSearchAttributeKey('CustomerSegment', SearchAttributeType.KEYWORD);
export const Channel = defineSearchAttributeKey('Channel', SearchAttributeType.KEYWORD);
/** The business stage the workflow is in (e.g. "gathering", "refunding"), updated as it moves. */
export const Stage = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);

export const searchAttributes = [CaseNumber, OrderNumber, CustomerId, StoreId, Region, CustomerSegment, Channel, Stage];
