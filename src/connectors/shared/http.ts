import axios, { type AxiosInstance, type AxiosRequestConfig, type InternalAxiosRequestConfig } from 'axios';
import type { Span } from '@opentelemetry/api';
import { endHttpSpan, startHttpSpan } from '../../observability/trace-context';
import type { ZodType } from 'zod';
import type { SystemName } from '../../domain/errors';
import { SystemBreaker, type BreakerOptions } from './breaker';
import { classifyAxiosError, parseResponse, type ErrorBodyReader } from './classify';

export interface HttpSystemOptions {
  system: SystemName;
  baseUrl: string;
  timeoutMs: number;
  headers?: Record<string, string>;
  breaker?: BreakerOptions;
  readErrorBody: ErrorBodyReader;
}

export interface RequestSpec<T> extends Omit<AxiosRequestConfig, 'baseURL' | 'validateStatus'> {
  operation: string;
  schema: ZodType<T>;
  /** Sent as the Idempotency-Key header (every mutating call must pass one). */
  idempotencyKey?: string;
}

/**
 * The HTTP plumbing every axios-based connector shares: one client per system, no proxy (the
 * systems are addressed directly), no redirects followed, every call through the system's circuit breaker, every
 * failure classified, every response validated. No retries here: Temporal owns retrying.
 */
export class HttpSystem {
  readonly client: AxiosInstance;
  readonly breaker: SystemBreaker;

  constructor(private readonly options: HttpSystemOptions) {
    this.client = axios.create({
      baseURL: options.baseUrl,
      timeout: options.timeoutMs,
      headers: { accept: 'application/json', ...options.headers },
      proxy: false,
      // Redirects are not followed: a system of record answering 3xx is a base URL to correct, and following one would
      // turn a POST into a GET (301/302) and send the credentials elsewhere. Without follow-redirects each call is also
      // about 50 µs of CPU cheaper.
      maxRedirects: 0,
    });
    this.breaker = new SystemBreaker(options.system, options.breaker);
    traceRequests(this.client, options.system);
  }

  get system(): SystemName {
    return this.options.system;
  }

  async request<T>({ operation, schema, idempotencyKey, headers, ...config }: RequestSpec<T>): Promise<T> {
    const data = await this.raw(operation, {
      ...config,
      headers: { ...(headers as Record<string, string> | undefined), ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    });
    return parseResponse(this.options.system, operation, schema, data);
  }

  /** A call whose body the caller parses itself (XML, CSV). */
  async raw(operation: string, config: AxiosRequestConfig): Promise<unknown> {
    return this.breaker.fire(operation, async () => {
      try {
        const response = await this.client.request(config);
        return response.data;
      } catch (err) {
        throw classifyAxiosError(this.options.system, operation, err, this.options.readErrorBody);
      }
    });
  }

  shutdown(): void {
    this.breaker.shutdown();
  }
}

/** One CLIENT span per request (traceparent sent on), ended with the response's status or the failure. */
function traceRequests(client: AxiosInstance, system: string): void {
  const spans = new WeakMap<InternalAxiosRequestConfig, Span>();
  client.interceptors.request.use((config) => {
    const url = axios.getUri(config);
    const { span, headers } = startHttpSpan(system, `${(config.method ?? 'get').toUpperCase()} ${new URL(url).pathname}`, config.method ?? 'get', url);
    for (const [name, value] of Object.entries(headers)) config.headers.set(name, value);
    spans.set(config, span);
    return config;
  });
  client.interceptors.response.use(
    (response) => {
      const span = spans.get(response.config);
      if (span) endHttpSpan(span, response.status);
      return response;
    },
    (err: unknown) => {
      const config = axios.isAxiosError(err) ? err.config : undefined;
      const span = config && spans.get(config);
      if (span) endHttpSpan(span, axios.isAxiosError(err) ? err.response?.status : undefined, err);
      return Promise.reject(err);
    },
  );
}
