import winston from 'winston';

/** Business context every log line may carry; the same names in worker, activity and API logs. */
export interface LogContext {
  component?: string;
  workflowId?: string;
  runId?: string;
  workflowType?: string;
  activityType?: string;
  caseId?: string;
  caseNumber?: string;
  orderNumber?: string;
  storeId?: string;
  region?: string;
  requestId?: string;
  [key: string]: unknown;
}

const SECRET_KEY = /(secret|password|token|authorization|api[-_]?key|card(number)?|cvc|pan)$/i;

/** Masks secret-looking fields wherever they sit, so no credential or card number reaches a log. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) && v !== undefined && v !== '' ? '***' : redact(v, depth + 1);
  }
  return out;
}

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (SECRET_KEY.test(key)) info[key] = '***';
    else if (typeof info[key] === 'object') info[key] = redact(info[key]);
  }
  return info;
});

function pretty(): winston.Logform.Format {
  return winston.format.printf(({ level, message, timestamp, component, ...rest }) => {
    const fields = Object.entries(rest)
      .filter(([k, v]) => v !== undefined && typeof k === 'string')
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    return `${String(timestamp).slice(11, 23)} ${level.padEnd(5)} ${component ? `[${String(component)}] ` : ''}${String(message)}${fields ? `  ${fields}` : ''}`;
  });
}

export type LogFormat = 'json' | 'pretty';

export function createLogger(options: { level?: string; format?: LogFormat; context?: LogContext } = {}): winston.Logger {
  const format = options.format ?? (process.stdout.isTTY ? 'pretty' : 'json');
  return winston.createLogger({
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    defaultMeta: options.context,
    format: winston.format.combine(winston.format.timestamp(), redactFormat(), format === 'json' ? winston.format.json() : pretty()),
    transports: [new winston.transports.Console({ stderrLevels: ['error'] })],
  });
}

export type Logger = winston.Logger;
