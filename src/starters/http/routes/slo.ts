import { loadSloConfig, type SloConfig } from '../../../config/slo';
import { readSloReport, SloContributorSchema, SloGroupBySchema, SloReportSchema, SloSinceSchema, SloStatusSchema } from '../../../services/slo-report';
import { operation, type Operation } from '../operations';
import { Problem } from '../problems';
import { z } from '../schemas/zod';

const QuerySchema = z
  .object({
    by: SloGroupBySchema.default('region').openapi({ param: { name: 'by', in: 'query', description: 'Which business key the worst contributors are grouped by' }, example: 'store' }),
    since: SloSinceSchema.optional().openapi({
      param: { name: 'since', in: 'query', description: 'Report over this window (30m, 24h, 7d) instead of since the workers started; needs a Prometheus server (SLO_PROMETHEUS_URL)' },
      example: '24h',
    }),
  })
  .strict();

// Arrays of objects as named components (External Services imports them so).
const ContributorSchema = z.object(SloContributorSchema.shape).openapi('SloContributor', { description: 'A region, store or segment with its measurements outside the target' });
const StatusSchema = z.object({ ...SloStatusSchema.shape, worst: z.array(ContributorSchema) }).openapi('SloStatus');
const SourceSchema = z.object(SloReportSchema.shape.sources.element.shape).openapi('SloSource', { description: 'A worker metrics endpoint read for this report' });
const ReportSchema = z.object({ ...SloReportSchema.shape, sources: z.array(SourceSchema), slos: z.array(StatusSchema) }).openapi('SloReport', {
  description: "Each SLO's attainment, error budget left, burn rate and worst contributors, from the workers' histograms since they started, or over a window from Prometheus",
});

/** GET /v1/slo: the integration SLOs as the workers measure them (SLO_CONFIG_FILE, SLO_METRICS_URLS). */
export function sloOperations(slo: SloConfig = loadSloConfig()): Operation[] {
  return [
    operation({
      operationId: 'getSloReport',
      method: 'get',
      path: '/v1/slo',
      tag: 'operations',
      summary: 'Integration SLOs: attainment, budget left, worst contributors',
      description: 'Order sync, inventory visibility, refund processing (approval wait apart) and case updates, read from the workers\' Prometheus histograms; an SLO with nothing measured yet is status no-data.',
      scope: 'read',
      query: QuerySchema,
      success: { status: 200, description: 'The report', schema: ReportSchema },
      handle: ({ query }) => {
        // Without Prometheus there is no history to take a window from: the caller learns so, rather than getting counts since start.
        if (query.since !== undefined && !slo.prometheusUrl) {
          throw new Problem(400, 'validation', 'Invalid request', 'since needs a Prometheus server (SLO_PROMETHEUS_URL) to read a window from', {
            errors: [{ path: 'since', code: 'unavailable', message: 'no Prometheus server is configured' }],
          });
        }
        return readSloReport(slo, query.by, query.since);
      },
    }),
  ];
}
