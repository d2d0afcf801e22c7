import { z } from 'zod';

/** The Pub/Sub API's messages as proto-loader hands them over (keepCase, enums as strings, bytes as Buffer). */
const bytes = z.instanceof(Buffer);

export const TopicInfoSchema = z.object({ topic_name: z.string(), tenant_guid: z.string(), can_publish: z.boolean(), can_subscribe: z.boolean(), schema_id: z.string() });
export const SchemaInfoSchema = z.object({ schema_json: z.string(), schema_id: z.string() });

export const ConsumerEventSchema = z.object({
  event: z.object({ id: z.string(), schema_id: z.string(), payload: bytes }),
  replay_id: bytes,
});
export const FetchResponseSchema = z.object({
  events: z.array(ConsumerEventSchema),
  latest_replay_id: bytes,
  pending_num_requested: z.number().int(),
});
export type FetchResponse = z.infer<typeof FetchResponseSchema>;

export const PublishResponseSchema = z.object({
  results: z.array(z.object({ replay_id: bytes, error: z.object({ code: z.string(), msg: z.string() }).nullable().optional(), correlation_key: z.string() })),
});

/** CDC's header, after the bitmaps are turned into field names. */
export const ChangeEventHeaderSchema = z.object({
  entityName: z.string(),
  recordIds: z.array(z.string()),
  changeType: z.string(),
  transactionKey: z.string(),
  sequenceNumber: z.number().int(),
  commitTimestamp: z.number(),
  /** Orders the org's commits (the customer sync's version of a Salesforce change). */
  commitNumber: z.number().optional(),
  commitUser: z.string(),
  changedFields: z.array(z.string()),
  nulledFields: z.array(z.string()),
});
export type ChangeEventHeader = z.infer<typeof ChangeEventHeaderSchema>;
