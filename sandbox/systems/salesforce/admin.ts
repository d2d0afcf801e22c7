import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Org } from './records';
import type { Ctx } from './respond';
import { findObject } from './schema';

/** Templates for synthetic records; `{n}` becomes a running number so unique fields stay unique. */
const TEMPLATES: Record<string, Record<string, unknown>> = {
  Account: { Name: 'Seeded Account {n}', Customer_Id__c: 'SEED-C-{n}', Segment__c: 'Standard', Region__c: 'NA-EAST' },
  Contact: { LastName: 'Seeded {n}' },
  Product2: { Name: 'Seeded Product {n}', StockKeepingUnit: 'SEED-SKU-{n}', Family: 'Home' },
  Task: { Subject: 'Seeded task {n}' },
  Customer_Adjustment__c: { External_Id__c: 'seed:bulk:{n}', Amount__c: 10, CurrencyIsoCode: 'USD', Type__c: 'Goodwill Credit', Status__c: 'Posted', Business_Date__c: '{today}' },
};

const SeedInput = z.object({
  object: z.string(),
  count: z.number().int().min(1).max(20_000),
  fields: z.record(z.string(), z.unknown()).optional(),
});

const UsageInput = z.object({ used: z.number().int().min(0).optional(), max: z.number().int().min(1).optional() });

export function registerAdmin(app: FastifyInstance, ctx: Ctx): void {
  // Bulk test data (e.g. enough records to page a query past 2,000); not API traffic, so no ledger entries.
  app.post('/__sandbox/salesforce/seed', async (request, reply) => {
    const parsed = SeedInput.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid seed request', issues: parsed.error.issues });
    const object = findObject(parsed.data.object);
    if (!object) return reply.code(400).send({ error: `unknown object ${parsed.data.object}` });
    const state = ctx.store.data;
    const org = new Org(state);
    const template = { ...(TEMPLATES[object.name] ?? {}), ...(parsed.data.fields ?? {}) };
    const today = new Date().toISOString().slice(0, 10);
    const ids: string[] = [];
    try {
      for (let i = 0; i < parsed.data.count; i++) {
        const n = (state.autoNumbers[`seed:${object.name}`] = (state.autoNumbers[`seed:${object.name}`] ?? 0) + 1);
        const fields = Object.fromEntries(Object.entries(template).map(([k, v]) => [k, typeof v === 'string' ? v.replace('{n}', String(n)).replace('{today}', today) : v]));
        ids.push(org.create(object, fields, []));
      }
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message, created: ids.length });
    }
    ctx.store.changed();
    return reply.code(201).send({ object: object.name, created: ids.length, firstId: ids[0], lastId: ids.at(-1) });
  });

  // Sets the org's daily API usage, so tests can reach the TotalRequests limit for real.
  app.post('/__sandbox/salesforce/api-usage', async (request, reply) => {
    const parsed = UsageInput.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: 'invalid usage', issues: parsed.error.issues });
    Object.assign(ctx.store.data.apiUsage, parsed.data);
    ctx.store.changed();
    return ctx.store.data.apiUsage;
  });
}
