import { z } from 'zod';

/**
 * Instant queries over Prometheus' HTTP API (GET /api/v1/query): the documented envelope, status
 * "success" with a vector of { metric, value: [time, "number"] }, or status "error" with errorType and error.
 */
const VectorSchema = z.object({
  resultType: z.literal('vector'),
  result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })),
});
const ResponseSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: VectorSchema }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);

export interface VectorSample {
  labels: Record<string, string>;
  value: number;
}

/** The request URL of one instant query evaluated at `at` (so every query of a report reads the same instant). */
export function instantQueryUrl(baseUrl: string, query: string, at: Date): string {
  const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('query', query);
  url.searchParams.set('time', (at.getTime() / 1000).toFixed(3));
  return url.toString();
}

/** Runs one instant query; a refusal, a non-vector answer or an unreachable server throws with Prometheus' own words. */
export async function queryVector(baseUrl: string, query: string, at: Date, timeoutMs = 5000): Promise<VectorSample[]> {
  const res = await fetch(instantQueryUrl(baseUrl, query, at), { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`Prometheus answered HTTP ${res.status} without JSON`);
  }
  const parsed = ResponseSchema.safeParse(body);
  if (!parsed.success) throw new Error(`Prometheus answered HTTP ${res.status} with an unexpected body`);
  if (parsed.data.status === 'error') throw new Error(`Prometheus refused the query (${parsed.data.errorType}): ${parsed.data.error}`);
  // NaN and ±Inf arrive as strings too; an increase over no data is simply absent.
  return parsed.data.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) })).filter((s) => Number.isFinite(s.value));
}
