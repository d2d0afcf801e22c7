import type { SystemDefinition } from '../../core/system';
import { StockFeed } from '../shared/stock-feed';
import { WebhookSender } from '../shared/webhooks';
import { afterSalesRoutes } from './after-sales';
import { customerRoutes } from './customers';
import { sendCloudError } from './errors';
import { financeRoutes } from './finance';
import { inventoryRoutes } from './inventory';
import { orderRoutes } from './orders';
import { pricingRoutes } from './pricing';
import { seedCloudErp, type CloudErpState } from './state';

export const ERP_CLOUD_API_KEY = 'erp-sandbox-key';

/**
 * The cloud ERP: JSON REST under /api/v2 with an API key, cursor paging, Idempotency-Key on every
 * create, and order-status and stock-change webhooks signed for the orchestrator's event API.
 */
export const erpCloud: SystemDefinition<CloudErpState> = {
  name: 'erp-cloud',
  defaultPort: 4020,
  seed: seedCloudErp,
  sendError: (reply, status, code, message) => sendCloudError(reply, status, code, message),
  routes: (app, ctx) => {
    const webhooks = new WebhookSender({ url: ctx.options.webhookUrl, secret: ctx.options.webhookSecret, source: 'erp' });
    const stockFeed = new StockFeed('erp', { url: ctx.options.stockWebhookUrl, secret: ctx.options.webhookSecret });
    app.addHook('onRequest', async (request, reply) => {
      if (!request.url.startsWith('/api/')) return;
      if (request.headers['x-api-key'] !== ERP_CLOUD_API_KEY) return sendCloudError(reply, 401, 'UNAUTHORIZED', 'missing or invalid x-api-key');
    });
    // Framework errors (bad JSON, wrong content type) still answer in the ERP's own dialect.
    app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
      return sendCloudError(reply, status, status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST', error.message);
    });
    app.addHook('onClose', async () => {
      webhooks.stop();
      stockFeed.stop();
      await Promise.all([webhooks.flush(), stockFeed.flush()]);
    });
    orderRoutes(app, ctx, webhooks, stockFeed);
    inventoryRoutes(app, ctx, stockFeed);
    afterSalesRoutes(app, ctx);
    financeRoutes(app, ctx);
    customerRoutes(app, ctx);
    pricingRoutes(app, ctx);
  },
};
