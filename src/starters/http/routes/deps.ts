import type { Client } from '@temporalio/client';
import type { ApiConfig } from '../../../config/api';
import type { Config } from '../../../config';
import type { Logger } from '../../../observability/logger';
import type { CaseFactsService } from '../../../services/case-facts';

/** What the route modules need: one Temporal client for the whole app, the configuration and the logger. */
export interface RouteDeps {
  client: Client;
  config: Config;
  api: ApiConfig;
  logger: Logger;
  overview?: (orderNumber: string) => Promise<unknown>;
  /** Reads a case's facts (Salesforce, ERP, payments) before a start. */
  caseFacts: CaseFactsService;
}

/** Where a caller polls a process (workflow ids contain '/': encoded as one path segment). */
export function statusUrl(workflowId: string): string {
  return `/v1/processes/${encodeURIComponent(workflowId)}`;
}
