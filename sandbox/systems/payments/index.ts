import { randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { SystemDefinition } from '../../core/system';
import { paymentIntentRoutes } from './payment-intents';
import { refundRoutes, type ProcessingDelay } from './refunds';
import { seedPayments, type PaymentsState } from './state';
import { registerStripeForm, sendStripeError, stripeErrorWriter } from './stripe-wire';

export const PAYMENTS_SANDBOX_API_KEY = 'sk_test_sandbox';

/** Stripe takes the secret key as a Bearer token or as the Basic-auth user name. */
function presentedKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value;
  if (scheme?.toLowerCase() === 'basic' && value) return Buffer.from(value, 'base64').toString('utf8').split(':')[0];
  return undefined;
}

const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

const DelayBody = z.object({ ms: z.number().int().min(0).max(60_000), count: z.number().int().min(1).optional() });
const SettleBody = z.object({ status: z.enum(['succeeded', 'failed', 'requires_action']) });

/** A Stripe-like payment provider: payment intents and refunds with Stripe's idempotency and errors. */
export const payments: SystemDefinition<PaymentsState> = {
  name: 'payments',
  defaultPort: 4040,
  seed: seedPayments,
  sendError: stripeErrorWriter,
  routes: (app, ctx) => {
    registerStripeForm(app);
    app.addHook('onRequest', async (request, reply) => {
      if (request.url.startsWith('/__sandbox')) return;
      reply.header('request-id', `req_${randomBytes(7).toString('hex')}`);
      const key = presentedKey(request.headers.authorization);
      if (!key) {
        return sendStripeError(reply, 401, {
          type: 'invalid_request_error',
          message: 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth.',
        });
      }
      if (!sameSecret(key, PAYMENTS_SANDBOX_API_KEY)) {
        return sendStripeError(reply, 401, { type: 'invalid_request_error', message: `Invalid API Key provided: ${key.slice(0, 8)}***` });
      }
    });

    const delay: ProcessingDelay = { ms: 0 };
    paymentIntentRoutes(app, ctx);
    refundRoutes(app, ctx, delay);

    // Admin: slow the card network so a second request with the same key finds the first in flight.
    app.post('/__sandbox/payments/processing-delay', async (request, reply) => {
      const body = DelayBody.safeParse(request.body);
      if (!body.success) return reply.code(400).send({ error: 'invalid delay', issues: body.error.issues });
      delay.ms = body.data.ms;
      delay.remaining = body.data.count;
      return { ...delay };
    });
    // Admin: the network's answer for a pending refund.
    app.post<{ Params: { id: string } }>('/__sandbox/payments/refunds/:id/settle', async (request, reply) => {
      const body = SettleBody.safeParse(request.body);
      if (!body.success) return reply.code(400).send({ error: 'invalid status', issues: body.error.issues });
      const refund = ctx.store.data.refunds[request.params.id];
      if (!refund) return reply.code(404).send({ error: 'no such refund' });
      if (refund.status !== 'pending' && refund.status !== 'requires_action') return reply.code(409).send({ error: `refund is ${refund.status}` });
      refund.status = body.data.status;
      ctx.store.changed();
      ctx.record({ kind: `refund.${body.data.status}`, ref: refund.id, data: { amount: refund.amount, payment_intent: refund.paymentIntent } });
      return { id: refund.id, status: refund.status };
    });
  },
};
