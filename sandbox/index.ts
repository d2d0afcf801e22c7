import { startSystem, type RunningSystem, type SystemDefinition } from './core/system';
import { buildWorld, type World, type WorldOptions } from './seed/world';
import { salesforce } from './systems/salesforce';
import type { SalesforceState } from './systems/salesforce/state';
import { startPubSubServer, type RunningPubSub } from './systems/salesforce/pubsub/server';
import { erpCloud } from './systems/erp-cloud';
import { erpLegacy } from './systems/erp-legacy';
import { warehouse } from './systems/warehouse';
import { payments } from './systems/payments';
import { carrier } from './systems/carrier';

export const systems = { salesforce, erpCloud, erpLegacy, warehouse, payments, carrier } as const;
export type SandboxSystemKey = keyof typeof systems;

export interface SandboxOptions {
  host?: string;
  /** Per-system port; 0 picks a free one (tests). Defaults: 4010, 4020, 4021, 4030, 4040, 4050. */
  ports?: Partial<Record<SandboxSystemKey, number>>;
  /** Folder for the state files; omitted = in memory. */
  stateDir?: string;
  world?: WorldOptions;
  /** Where the ERP and warehouse send their webhooks (the orchestrator's event API). */
  webhookUrl?: string;
  /** One secret for both senders, or each its own (the ERP signs as source erp, the warehouse as warehouse). */
  webhookSecret?: string | Partial<Record<'erp' | 'warehouse', string>>;
  /** Where the ERP and warehouse push stock changes, `{source}` standing for erp or warehouse (the orchestrator's /v1/stock-events/{source}); unset, they push none. */
  stockWebhookUrl?: string;
  /** PEM certificate or public key of the Salesforce connected app, for the JWT bearer flow. */
  salesforceJwtCertificate?: string;
  only?: SandboxSystemKey[];
  /** The Salesforce Pub/Sub API's gRPC port (default 4011, next to the REST port; 0 picks a free one). */
  pubsubPort?: number;
}

export interface Sandbox {
  systems: Partial<Record<SandboxSystemKey, RunningSystem>>;
  urls: Partial<Record<SandboxSystemKey, string>>;
  /** Salesforce's Pub/Sub API (gRPC), when Salesforce runs: host:port for PUBSUB_ENDPOINT. */
  pubsub?: RunningPubSub;
  world: () => World;
  close: () => Promise<void>;
}

/** The secret a system signs its webhooks with: its source's own, or the shared one. */
function webhookSecretFor(key: SandboxSystemKey, secret: SandboxOptions['webhookSecret']): string | undefined {
  if (typeof secret !== 'object') return secret;
  return key === 'erpCloud' ? secret.erp : key === 'warehouse' ? secret.warehouse : undefined;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  let cached: World | undefined;
  const world = () => (cached ??= buildWorld(options.world));
  const running: Sandbox['systems'] = {};
  let pubsub: RunningPubSub | undefined;
  const keys = (options.only ?? (Object.keys(systems) as SandboxSystemKey[]));
  try {
    for (const key of keys) {
      const def = systems[key] as SystemDefinition<unknown>;
      running[key] = await startSystem(def, {
        port: options.ports?.[key],
        host: options.host,
        stateDir: options.stateDir,
        world,
        options: {
          webhookUrl: options.webhookUrl,
          webhookSecret: webhookSecretFor(key, options.webhookSecret),
          stockWebhookUrl: options.stockWebhookUrl?.replace('{source}', key === 'erpCloud' ? 'erp' : 'warehouse'),
          jwtCertificate: options.salesforceJwtCertificate,
        },
      });
    }
    const org = running.salesforce as RunningSystem<SalesforceState> | undefined;
    if (org) pubsub = await startPubSubServer(org.ctx, { host: options.host, port: options.pubsubPort });
  } catch (err) {
    await pubsub?.close();
    await Promise.all(Object.values(running).map((s) => s?.close()));
    throw err;
  }
  const urls = Object.fromEntries(Object.entries(running).map(([k, s]) => [k, s!.url])) as Sandbox['urls'];
  return {
    systems: running,
    urls,
    pubsub,
    world,
    close: async () => {
      await pubsub?.close();
      await Promise.all(Object.values(running).map((s) => s?.close()));
    },
  };
}
