import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { StockChange } from '../../domain/stock-event';
import type { Alert } from '../lib/alerts';
import type { StockSyncState } from './stock-state';

/** One workflow per location shard: a location's SKUs are spread over its shards (src/domain/stock-event.ts stockShard). */
export const stockSyncWorkflowId = (location: string, shard: number) => `stock/${location}/${shard}`;

/** Stock changes for SKUs of this location shard (in the order they were sent); each is deduplicated by source and eventId. */
export const stockChangeSignal = defineSignal<StockChange[]>('stockChange');
export const stockSyncStateQuery = defineQuery<StockSyncState & { pending: number; alerts: Alert[] }>('getStockSyncState');
