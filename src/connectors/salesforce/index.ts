import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../../config';
import { breakerOptionsFromConfig } from '../shared/breaker';
import { SalesforceConnector } from './connector';
import { OrderWriteCoalescer } from './order-writes';

export { SalesforceConnector, idempotencyMarker, type BulkOptions, type SalesforceConnectorOptions } from './connector';
export { OrderStatusUpdateSchema, type OrderStatusUpdate, type OrderUpsertResult, type OrderUpsertOutcome, type BulkOrderUpsertResult } from './order-status';
export { OrderWriteCoalescer, type OrderWriteBatching } from './order-writes';
export type { ListPriceBook, PriceBookRef, PriceEntryResult, PriceEntryUpdate, PromotionBook } from './pricebooks';
export { StockAvailabilityUpdateSchema, type StockAvailabilityUpdate, type StockAvailabilityResult } from './stock-availability';
export { classifySalesforceError, classifyRecordError, limitBackoffMs } from './classify';
export { jwtAssertion, JWT_BEARER_GRANT } from './jwt';

/** The JWT bearer grant's private key, read and checked at start-up so a bad key fails there, in one line. */
function jwtPrivateKey(config: Config['salesforce']): string | undefined {
  if (config.grant !== 'jwt_bearer') return undefined;
  const source = config.jwtKey ? 'SALESFORCE_JWT_KEY' : `SALESFORCE_JWT_KEY_FILE ${config.jwtKeyFile}`;
  let pem: string;
  try {
    pem = config.jwtKey ?? readFileSync(config.jwtKeyFile ?? '', 'utf8');
  } catch (err) {
    throw new Error(`${source}: cannot read the key (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    createPrivateKey(pem);
  } catch {
    throw new Error(`${source}: not a PEM private key`);
  }
  return pem;
}

/** The Salesforce connector for this configuration (login URL, grant, API version, breaker settings). */
export function createSalesforceConnector(config: Config): SalesforceConnector {
  return new SalesforceConnector({
    loginUrl: config.salesforce.loginUrl,
    apiVersion: config.salesforce.apiVersion,
    grant: config.salesforce.grant,
    clientId: config.salesforce.clientId,
    clientSecret: config.salesforce.clientSecret,
    username: config.salesforce.username,
    password: config.salesforce.password,
    jwtPrivateKey: jwtPrivateKey(config.salesforce),
    jwtAudience: config.salesforce.jwtAudience,
    timeoutMs: config.downstream.timeoutMs,
    breaker: breakerOptionsFromConfig(config.downstream),
  });
}

/** Concurrent order-status upserts as collections calls, unless SALESFORCE_ORDER_BATCH_WINDOW_MS is 0. */
export function createOrderWriteCoalescer(config: Config, sf: SalesforceConnector): OrderWriteCoalescer | undefined {
  const { orderBatchWindowMs: windowMs, orderBatchSize: maxBatch } = config.salesforce;
  return windowMs > 0 ? new OrderWriteCoalescer(sf, { windowMs, maxBatch }) : undefined;
}
