import { usageError } from './errors';

/** A visibility-query string literal: backslashes and double quotes escaped, so a value can never end the literal. */
export function literal(value: string): string {
  if (/[\u0000-\u001f]/.test(value)) throw usageError(`control characters are not allowed in a filter value: ${JSON.stringify(value)}`);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const statuses: Record<string, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
  timedout: 'TimedOut',
  'continued-as-new': 'ContinuedAsNew',
  continuedasnew: 'ContinuedAsNew',
};

const types: Record<string, string> = {
  'case-resolution': 'caseResolution',
  caseresolution: 'caseResolution',
  refund: 'refund',
  replacement: 'replacement',
  'system-check': 'systemCheck',
  systemcheck: 'systemCheck',
};

export interface ListFilters {
  case?: string;
  order?: string;
  store?: string;
  region?: string;
  stage?: string;
  status?: string;
  type?: string;
  customer?: string;
  where?: string;
}

/** The filters as a visibility query over the search attributes (CaseNumber = "…" AND StoreId = "…" …); empty for everything. */
export function visibilityQuery(filters: ListFilters): string {
  const clauses: string[] = [];
  const equals = (attribute: string, value: string | undefined) => {
    if (value !== undefined) clauses.push(`${attribute} = ${literal(value)}`);
  };
  equals('CaseNumber', filters.case);
  equals('OrderNumber', filters.order);
  equals('StoreId', filters.store);
  equals('Region', filters.region);
  equals('CustomerId', filters.customer);
  equals('Stage', filters.stage);
  if (filters.status !== undefined) {
    const status = statuses[filters.status.toLowerCase()];
    if (!status) throw usageError(`--status: "${filters.status}" is not one of running, completed, failed, cancelled, terminated, timed-out, continued-as-new`);
    clauses.push(`ExecutionStatus = ${literal(status)}`);
  }
  if (filters.type !== undefined) equals('WorkflowType', types[filters.type.toLowerCase()] ?? filters.type);
  if (filters.where) clauses.push(`(${filters.where})`);
  return clauses.join(' AND ');
}
