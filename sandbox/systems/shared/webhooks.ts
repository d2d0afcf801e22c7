import { createHmac } from 'node:crypto';

/**
 * Signed webhooks from a sandbox system to the orchestrator's event API, the way ERPs and WMSs
 * push events: `X-Retail-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "v1:<source>:<t>:<raw body>">`.
 * Delivery is best effort with a few retries and never blocks the request that caused the event.
 */
export type WebhookSource = 'erp' | 'warehouse';

export interface WebhookSenderOptions {
  url?: string;
  secret?: string;
  source: WebhookSource;
  /** Attempts per event (default 4) and the first back-off (doubles each time). */
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
}

export interface WebhookDelivery {
  eventId: string;
  status: 'delivered' | 'failed';
  attempts: number;
  httpStatus?: number;
}

export function signWebhook(secret: string, source: string, rawBody: string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`v1:${source}:${unixSeconds}:${rawBody}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

export class WebhookSender {
  private readonly inFlight = new Set<Promise<WebhookDelivery>>();
  private stopped = false;
  readonly deliveries: WebhookDelivery[] = [];

  constructor(private readonly options: WebhookSenderOptions) {}

  get configured(): boolean {
    return Boolean(this.options.url);
  }

  /** Queues one event; returns at once. False when no webhook URL is configured. */
  send(event: { id: string } & Record<string, unknown>): boolean {
    if (!this.options.url || this.stopped) return false;
    const delivery = this.deliver(this.options.url, event).finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
    return true;
  }

  /** Waits for every queued delivery to finish (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  stop(): void {
    this.stopped = true;
  }

  private async deliver(url: string, event: { id: string }): Promise<WebhookDelivery> {
    const attempts = this.options.attempts ?? 4;
    let delay = this.options.backoffMs ?? 250;
    const body = JSON.stringify(event);
    let httpStatus: number | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const headers: Record<string, string> = { 'content-type': 'application/json', 'x-retail-event-source': this.options.source };
        if (this.options.secret) headers['x-retail-signature'] = signWebhook(this.options.secret, this.options.source, body);
        const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000) });
        httpStatus = res.status;
        await res.arrayBuffer().catch(() => undefined);
        // 4xx other than 408/429 means the receiver refuses this event: retrying will not help.
        if (res.ok || (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429)) {
          return this.done({ eventId: event.id, status: res.ok ? 'delivered' : 'failed', attempts: attempt, httpStatus });
        }
      } catch {
        httpStatus = undefined;
      }
      if (this.stopped || attempt === attempts) break;
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      delay *= 2;
    }
    return this.done({ eventId: event.id, status: 'failed', attempts, httpStatus });
  }

  private done(delivery: WebhookDelivery): WebhookDelivery {
    this.deliveries.push(delivery);
    if (this.deliveries.length > 1000) this.deliveries.splice(0, this.deliveries.length - 1000);
    return delivery;
  }
}
