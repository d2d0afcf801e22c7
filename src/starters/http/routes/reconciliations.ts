import { MismatchSchema, reconciliationWorkflowId, reportToCsv, ReconciliationReportSchema } from '../../../domain/reconciliation';
import { readReconciliationReport } from '../../../client/reconciliation';
import { operation, type Operation } from '../operations';
import { z } from '../schemas/zod';
import type { RouteDeps } from './deps';

const DateParamsSchema = z.object({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'business date as yyyy-mm-dd')
    .openapi({ param: { name: 'date', in: 'path', description: 'Business date (UTC)', example: '2025-03-14' } }),
});

// Re-made with the API's zod (extended with .openapi) from the domain schemas' shapes; arrays of objects as named components.
const RepairSchema = z.object(MismatchSchema.shape.repairs.element.shape).openapi('ReconciliationRepair');
const MismatchApiSchema = z.object({ ...MismatchSchema.shape, repairs: z.array(RepairSchema) }).openapi('ReconciliationMismatch');
const ReportSchema = z.object({ ...ReconciliationReportSchema.shape, mismatches: z.array(MismatchApiSchema) }).openapi('ReconciliationReport', {
  description: 'Counts per class (matched, missing-in-erp, missing-at-payment-provider, missing-in-salesforce, amount-mismatch), each mismatch with its keys and amounts, repairs done and exceptions opened',
});

const CsvSchema = z.string().openapi('ReconciliationCsv', { description: 'RFC 4180 CSV, header row then one row per mismatch; text/plain, or text/csv when Accept names it' });

/** GET /v1/reconciliations/{date} (JSON) and …/report.csv: the day's reconciliation report, from reconciliation/{date}'s query. */
export function reconciliationOperations(deps: RouteDeps): Operation[] {
  return [
    operation({
      operationId: 'getReconciliationReport',
      method: 'get',
      path: '/v1/reconciliations/{date}',
      tag: 'reconciliations',
      summary: "A business day's reconciliation report",
      description: `The report of ${reconciliationWorkflowId('{date}')}, running (status running) or done.`,
      scope: 'read',
      params: DateParamsSchema,
      problems: [404],
      success: { status: 200, description: 'The report', schema: ReportSchema },
      handle: ({ params }) => readReconciliationReport(deps.client, params.date),
    }),
    operation({
      operationId: 'getReconciliationReportCsv',
      method: 'get',
      path: '/v1/reconciliations/{date}/report.csv',
      tag: 'reconciliations',
      summary: "A business day's mismatches as CSV text",
      description: 'One row per mismatch: keys, each system\'s amount in minor units, the action taken, the exception Task.',
      scope: 'read',
      params: DateParamsSchema,
      problems: [404],
      success: { status: 200, description: 'CSV (RFC 4180) as text/plain, or text/csv for a caller whose Accept names it', schema: CsvSchema, mediaType: 'text/plain' },
      handle: async ({ params, request, reply }) => {
        const report = await readReconciliationReport(deps.client, params.date);
        // Declared text/plain (External Services imports no text/csv); spreadsheets and scripts that ask for text/csv get it.
        const csv = /\btext\/csv\b/i.test(request.headers.accept ?? '');
        reply.type(csv ? 'text/csv; charset=utf-8' : 'text/plain; charset=utf-8').header('content-disposition', `attachment; filename="reconciliation-${params.date}.csv"`);
        return reportToCsv(report);
      },
    }),
  ];
}
