import { z } from 'zod';
import { PayloadCodecConfigSchema, payloadCodecInput } from './codec';
import { redact, SECRET_FIELD } from '../observability/redact';
import { parseConfig } from './parse';
import { temporalProfileFromEnv } from './temporal-profile';

/**
 * Environment → typed configuration, validated once at start-up. Defaults point at the local
 * sandbox (`npm run sandbox`) with its development credentials, so `npm start` needs nothing set.
 */
const bool = z.preprocess((v) => (typeof v === 'string' ? ['1', 'true', 'yes', 'on'].includes(v.toLowerCase()) : v), z.boolean());
const url = z.string().url();
const positiveInt = z.coerce.number().int().positive();

export const ErpCapabilities = ['orders', 'inventory', 'reservations', 'replacementOrders', 'returnAuthorizations', 'pricing', 'creditMemos', 'ledger'] as const;
export type ErpCapability = (typeof ErpCapabilities)[number];
export type ErpTarget = 'cloud' | 'legacy';

/** "creditMemos=legacy,ledger=legacy" → routing table; every capability not named goes to the cloud ERP. */
export const ErpRoutingSchema = z.string().transform((text, ctx) => {
  const routing = Object.fromEntries(ErpCapabilities.map((c) => [c, 'cloud'])) as Record<ErpCapability, ErpTarget>;
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [capability, target] = part.split('=').map((s) => s.trim());
    if (!(ErpCapabilities as readonly string[]).includes(capability)) {
      ctx.addIssue({ code: 'custom', message: `unknown ERP capability "${capability}" (known: ${ErpCapabilities.join(', ')})` });
      return z.NEVER;
    }
    if (target !== 'cloud' && target !== 'legacy') {
      ctx.addIssue({ code: 'custom', message: `ERP target for ${capability} must be cloud or legacy, got "${target}"` });
      return z.NEVER;
    }
    routing[capability as ErpCapability] = target;
  }
  return routing;
});

/** The task queues a worker process can poll: the workflows' queue and each system's. */
export const WorkerQueueKinds = ['orchestration', 'salesforce', 'erp', 'warehouse', 'payments'] as const;
export type WorkerQueueKind = (typeof WorkerQueueKinds)[number];

export const ConfigSchema = z.object({
  temporal: z
    .object({
      /** Unset → the embedded dev server (see scripts/temporal-cli.ts). */
      address: z.string().optional(),
      namespace: z.string().default('default'),
      /** Unset → on when an API key, a client certificate or a server CA is given. */
      tls: bool.optional(),
      tlsCertPath: z.string().optional(),
      tlsKeyPath: z.string().optional(),
      tlsCertData: z.string().optional(),
      tlsKeyData: z.string().optional(),
      tlsServerCaPath: z.string().optional(),
      tlsServerCaData: z.string().optional(),
      tlsServerName: z.string().optional(),
      apiKey: z.string().optional(),
      grpcMeta: z.record(z.string(), z.string()).optional(),
      /** The temporal.toml profile the values above were layered on (TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE). */
      profile: z.string().optional(),
      configFile: z.string().optional(),
    })
    .refine((t) => Boolean(t.tlsCertPath || t.tlsCertData) === Boolean(t.tlsKeyPath || t.tlsKeyData), {
      message: 'a TLS client certificate needs its key and a key its certificate',
      path: ['tlsCertPath'],
    }),
  taskQueues: z.object({
    orchestration: z.string().default('orchestration'),
    salesforce: z.string().default('sys-salesforce'),
    erp: z.string().default('sys-erp'),
    warehouse: z.string().default('sys-warehouse'),
    payments: z.string().default('sys-payments'),
  }),
  /** Activities per second the server lets each system's queue start, across all workers. */
  rateLimits: z.object({
    salesforce: z.coerce.number().positive().default(25),
    erp: z.coerce.number().positive().default(50),
    warehouse: z.coerce.number().positive().default(50),
    payments: z.coerce.number().positive().default(20),
  }),
  salesforce: z.object({
    loginUrl: url.default('http://127.0.0.1:4010'),
    apiVersion: z.string().regex(/^\d+\.\d$/).default('62.0'),
    grant: z.enum(['client_credentials', 'password', 'jwt_bearer']).default('client_credentials'),
    clientId: z.string().default('retail-orchestrator'),
    clientSecret: z.string().default('sandbox-client-secret'),
    username: z.string().optional(),
    password: z.string().optional(),
    /** jwt_bearer: the PEM private key, from a file or inline. */
    jwtKeyFile: z.string().optional(),
    jwtKey: z.string().optional(),
    jwtAudience: url.optional(),
    /** Concurrent order-status upserts gathered this long into one collections call; 0 writes each order on its own. */
    orderBatchWindowMs: z.coerce.number().int().min(0).max(1_000).default(100),
    /** Orders per collections call (Salesforce takes at most 200). */
    orderBatchSize: z.coerce.number().int().min(1).max(200).default(200),
  }).superRefine((sf, ctx) => {
    if (sf.grant !== 'jwt_bearer') return;
    if (!sf.username) ctx.addIssue({ code: 'custom', path: ['username'], message: 'SALESFORCE_GRANT=jwt_bearer needs SALESFORCE_USERNAME' });
    if (!sf.jwtKeyFile && !sf.jwtKey) ctx.addIssue({ code: 'custom', path: ['jwtKeyFile'], message: 'SALESFORCE_GRANT=jwt_bearer needs SALESFORCE_JWT_KEY_FILE or SALESFORCE_JWT_KEY' });
  }),
  /** Salesforce's Pub/Sub API (gRPC): change events in, Platform Events both ways. TLS unless the endpoint is loopback. */
  pubsub: z
    .object({ endpoint: z.string().regex(/^[^\s/:]+:\d{1,5}$/, 'host:port').default('127.0.0.1:4011'), tls: bool.optional() })
    .transform((p) => ({ endpoint: p.endpoint, tls: p.tls ?? !/^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?):/.test(p.endpoint) })),
  erp: z.object({
    cloudUrl: url.default('http://127.0.0.1:4020'),
    cloudApiKey: z.string().default('erp-sandbox-key'),
    legacyUrl: url.default('http://127.0.0.1:4021'),
    legacyUser: z.string().default('ORCH'),
    legacyPassword: z.string().default('legacy-sandbox-password'),
    routing: ErpRoutingSchema.prefault('creditMemos=legacy,ledger=legacy'),
  }),
  warehouse: z.object({ url: url.default('http://127.0.0.1:4030'), apiKey: z.string().default('wms-sandbox-key') }),
  payments: z.object({ url: url.default('http://127.0.0.1:4040'), apiKey: z.string().default('sk_test_sandbox') }),
  carrier: z.object({ url: url.default('http://127.0.0.1:4050'), apiKey: z.string().default('carrier-sandbox-key') }),
  downstream: z.object({
    timeoutMs: positiveInt.default(10_000),
    breakerErrorPercent: z.coerce.number().min(1).max(100).default(50),
    breakerVolume: positiveInt.default(10),
    breakerResetMs: positiveInt.default(15_000),
  }),
  worker: z.object({
    shutdownGraceMs: positiveInt.default(30_000),
    maxCachedWorkflows: positiveInt.default(1000),
    /** Workflow tasks the orchestration worker runs at once (the SDK caps it at maxCachedWorkflows). */
    maxConcurrentWorkflowTasks: positiveInt.default(40),
    /** Activities each system queue's worker runs at once; the queue's rate limit still applies across workers. */
    maxConcurrentActivities: positiveInt.default(100),
    metricsPort: z.coerce.number().int().min(0).max(65535).default(9464),
    /** Which task queues this process polls (WORKER_TASK_QUEUES), so each system's workers deploy and scale apart. */
    taskQueues: z
      .string()
      .transform((text, ctx) => {
        const names = [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))];
        const unknown = names.filter((n) => !(WorkerQueueKinds as readonly string[]).includes(n));
        if (unknown.length || !names.length) {
          ctx.addIssue({ code: 'custom', message: `WORKER_TASK_QUEUES lists ${unknown.length ? `unknown queue(s) ${unknown.join(', ')}` : 'nothing'} (known: ${WorkerQueueKinds.join(', ')})` });
          return z.NEVER;
        }
        return names as WorkerQueueKind[];
      })
      .prefault(WorkerQueueKinds.join(',')),
    /** Worker Deployment Versioning: set, the orchestration worker polls as a version of this deployment. */
    deploymentName: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/).optional(),
    /** Unset: derived from the workflow bundle's content, so only a changed workflow makes a new version. */
    buildId: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/).optional(),
    /** Where `npm run build` put the prebuilt workflow bundle (unset: dist/workflow-bundle); used only while it matches the sources. */
    workflowBundleDir: z.string().min(1).optional(),
    /** BUSINESS_TELEMETRY=off: no business metrics, no tracing interceptors in worker or bundle (another build id); for measuring their cost. */
    businessTelemetry: z.enum(['on', 'off']).default('on').transform((v) => v === 'on'),
  }),
  log: z.object({ level: z.enum(['error', 'warn', 'info', 'debug']).default('info'), format: z.enum(['json', 'pretty']).optional() }),
  stateDir: z.string().default('.state'),
  payloadCodec: PayloadCodecConfigSchema,
});
export type Config = z.infer<typeof ConfigSchema>;

type Env = Record<string, string | undefined>;

/**
 * Connection settings: each TEMPORAL_* variable wins over the same field of the temporal.toml
 * profile, which wins over the defaults (the local dev server, namespace "default").
 */
function temporalInput(env: Env) {
  const profile = temporalProfileFromEnv(env);
  const certPath = env.TEMPORAL_TLS_CERT_PATH || env.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const keyPath = env.TEMPORAL_TLS_KEY_PATH || env.TEMPORAL_TLS_CLIENT_KEY_PATH;
  const caPath = env.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
  return {
    address: env.TEMPORAL_ADDRESS || profile.address,
    namespace: env.TEMPORAL_NAMESPACE || profile.namespace,
    tls: env.TEMPORAL_TLS || profile.tls,
    // A certificate named in the environment replaces the profile's, whether the profile gave a path or the PEM itself.
    tlsCertPath: certPath || (profile.tlsCertData ? undefined : profile.tlsCertPath),
    tlsCertData: certPath ? undefined : profile.tlsCertData,
    tlsKeyPath: keyPath || (profile.tlsKeyData ? undefined : profile.tlsKeyPath),
    tlsKeyData: keyPath ? undefined : profile.tlsKeyData,
    tlsServerCaPath: caPath || (profile.tlsServerCaData ? undefined : profile.tlsServerCaPath),
    tlsServerCaData: caPath ? undefined : profile.tlsServerCaData,
    tlsServerName: env.TEMPORAL_TLS_SERVER_NAME || profile.tlsServerName,
    apiKey: env.TEMPORAL_API_KEY || profile.apiKey,
    grpcMeta: profile.grpcMeta,
    profile: env.TEMPORAL_PROFILE || undefined,
    configFile: env.TEMPORAL_CONFIG_FILE || undefined,
  };
}

/** Reads the environment; every variable is named here, once. */
export function configFromEnv(env: Env = process.env): Config {
  const input = {
    temporal: temporalInput(env),
    taskQueues: {
      orchestration: env.TASK_QUEUE_ORCHESTRATION,
      salesforce: env.TASK_QUEUE_SALESFORCE,
      erp: env.TASK_QUEUE_ERP,
      warehouse: env.TASK_QUEUE_WAREHOUSE,
      payments: env.TASK_QUEUE_PAYMENTS,
    },
    rateLimits: {
      salesforce: env.RATE_LIMIT_SALESFORCE,
      erp: env.RATE_LIMIT_ERP,
      warehouse: env.RATE_LIMIT_WAREHOUSE,
      payments: env.RATE_LIMIT_PAYMENTS,
    },
    salesforce: {
      loginUrl: env.SALESFORCE_LOGIN_URL,
      apiVersion: env.SALESFORCE_API_VERSION,
      grant: env.SALESFORCE_GRANT,
      clientId: env.SALESFORCE_CLIENT_ID,
      clientSecret: env.SALESFORCE_CLIENT_SECRET,
      username: env.SALESFORCE_USERNAME,
      password: env.SALESFORCE_PASSWORD,
      jwtKeyFile: env.SALESFORCE_JWT_KEY_FILE || undefined,
      jwtKey: env.SALESFORCE_JWT_KEY || undefined,
      jwtAudience: env.SALESFORCE_JWT_AUDIENCE || undefined,
      orderBatchWindowMs: env.SALESFORCE_ORDER_BATCH_WINDOW_MS || undefined,
      orderBatchSize: env.SALESFORCE_ORDER_BATCH_SIZE || undefined,
    },
    pubsub: { endpoint: env.PUBSUB_ENDPOINT || undefined, tls: env.PUBSUB_TLS || undefined },
    erp: {
      cloudUrl: env.ERP_CLOUD_URL,
      cloudApiKey: env.ERP_CLOUD_API_KEY,
      legacyUrl: env.ERP_LEGACY_URL,
      legacyUser: env.ERP_LEGACY_USER,
      legacyPassword: env.ERP_LEGACY_PASSWORD,
      routing: env.ERP_ROUTING,
    },
    warehouse: { url: env.WAREHOUSE_URL, apiKey: env.WAREHOUSE_API_KEY },
    payments: { url: env.PAYMENTS_URL, apiKey: env.PAYMENTS_API_KEY },
    carrier: { url: env.CARRIER_URL, apiKey: env.CARRIER_API_KEY },
    downstream: {
      timeoutMs: env.DOWNSTREAM_TIMEOUT_MS,
      breakerErrorPercent: env.BREAKER_ERROR_PERCENT,
      breakerVolume: env.BREAKER_VOLUME,
      breakerResetMs: env.BREAKER_RESET_MS,
    },
    worker: {
      shutdownGraceMs: env.WORKER_SHUTDOWN_GRACE_MS,
      maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentWorkflowTasks: env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxConcurrentActivities: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
      metricsPort: env.WORKER_METRICS_PORT,
      taskQueues: env.WORKER_TASK_QUEUES || undefined,
      deploymentName: env.WORKER_DEPLOYMENT_NAME || undefined,
      buildId: env.WORKER_BUILD_ID || undefined,
      workflowBundleDir: env.WORKER_WORKFLOW_BUNDLE_DIR || undefined,
      businessTelemetry: env.BUSINESS_TELEMETRY || undefined,
    },
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT },
    stateDir: env.RETAIL_STATE_DIR,
    payloadCodec: payloadCodecInput(env, env.RETAIL_STATE_DIR || '.state'),
  };
  return parseConfig(ConfigSchema, input);
}

/** The configuration with secrets masked, for the start-up banner: secret-named fields at any depth, credentials in URLs. */
export function describeConfig(config: Config): Record<string, unknown> {
  // Payload keys by id only: the banner must never show a key.
  return redact({ ...config, payloadCodec: { ...config.payloadCodec, keys: config.payloadCodec.keys.map((k) => k.id) } }) as Record<string, unknown>;
}

/** The secret values of the configuration, so logs mask them wherever they appear (rememberSecrets). */
export function secretValues(config: Config): string[] {
  const found: string[] = [];
  const walk = (value: unknown, key = ''): void => {
    if (typeof value === 'string' && SECRET_FIELD.test(key)) found.push(value);
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(config);
  return found;
}
