import { timingSafeEqual } from 'node:crypto';
import type { SystemDefinition } from '../../core/system';
import { StockFeed } from '../shared/stock-feed';
import { WebhookSender } from '../shared/webhooks';
import { releaseRoutes } from './releases';
import { returnRoutes } from './returns';
import { shipmentRoutes } from './shipments';
import { seedWarehouse, type WarehouseState } from './state';
import { sendWmsError } from './wire';

export const WAREHOUSE_SANDBOX_API_KEY = 'wms-sandbox-key';

const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** The warehouse management system: releases, allocations, shipments, return receipts, shipment events. */
export const warehouse: SystemDefinition<WarehouseState> = {
  name: 'warehouse',
  defaultPort: 4030,
  seed: seedWarehouse,
  sendError: sendWmsError,
  routes: (app, ctx) => {
    app.addHook('onRequest', async (request, reply) => {
      if (request.url.startsWith('/__sandbox')) return;
      const header = request.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
      if (!token) return sendWmsError(reply, 401, 'UNAUTHORIZED', 'missing bearer token');
      if (!sameSecret(token, WAREHOUSE_SANDBOX_API_KEY)) return sendWmsError(reply, 401, 'UNAUTHORIZED', 'invalid API key');
    });
    const webhooks = new WebhookSender({ url: ctx.options.webhookUrl, secret: ctx.options.webhookSecret, source: 'warehouse' });
    const stockFeed = new StockFeed('warehouse', { url: ctx.options.stockWebhookUrl, secret: ctx.options.webhookSecret });
    app.addHook('onClose', async () => {
      webhooks.stop();
      stockFeed.stop();
    });
    releaseRoutes(app, ctx, webhooks, stockFeed);
    shipmentRoutes(app, ctx);
    returnRoutes(app, ctx, stockFeed);
  },
};
