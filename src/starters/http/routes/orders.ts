import { operation, type Operation } from '../operations';
import { Problem } from '../problems';
import { z } from '../schemas/zod';
import type { RouteDeps } from './deps';

const OrderNumberParamsSchema = z.object({
  orderNumber: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'orderNumber', in: 'path', description: 'ERP order number', example: 'SO-100013' } }),
});

/** GET /v1/orders/{orderNumber}/overview: the agent's one-call order view (a synchronous read, no workflow). */
export function orderOperations(deps: RouteDeps, overviewSchema: z.ZodType): Operation[] {
  return [
    operation({
      operationId: 'getOrderOverview',
      method: 'get',
      path: '/v1/orders/{orderNumber}/overview',
      tag: 'orders',
      summary: 'Order, shipment milestones, stock, payment and return eligibility in one response',
      description: 'Each system is asked in parallel with its own timeout; parts that did not answer are marked as partial.',
      scope: 'read',
      params: OrderNumberParamsSchema,
      problems: [404, 501],
      success: { status: 200, description: 'The order overview', schema: overviewSchema },
      handle: async ({ params }) => {
        if (!deps.overview) throw new Problem(501, 'not-configured', 'Not available', 'the order overview is not configured in this deployment');
        return deps.overview(params.orderNumber);
      },
    }),
  ];
}
