import { WebhookSender, type WebhookSource } from './webhooks';

/** What a system keeps per SKU-location to number its stock changes; persisted with the count. */
export interface VersionedStock {
  onHand: number;
  /** How many changes this count has had: the `sequence` of its stock events, so a receiver can order them. */
  version?: number;
}

/**
 * A system's stock-change webhooks, as ERPs and WMSs push them: every change of a SKU-location's
 * count (a reservation, an allocation, a shipment, a receipt, a count) raises its version and, when a
 * stock webhook URL is configured, is sent as a signed `stock.changed` event in the product's
 * stock-event format. Without a URL nothing is sent, but versions still count.
 */
export class StockFeed {
  private readonly sender: WebhookSender;

  constructor(
    private readonly source: WebhookSource,
    options: { url?: string; secret?: string },
  ) {
    this.sender = new WebhookSender({ url: options.url, secret: options.secret, source });
  }

  changed(sku: string, location: string, stock: VersionedStock, reserved: number): void {
    stock.version = (stock.version ?? 0) + 1;
    this.sender.send({
      id: `${this.source}-stock-${sku}@${location}-v${stock.version}`,
      type: 'stock.changed',
      sku,
      location,
      onHand: stock.onHand,
      reserved,
      sequence: stock.version,
      occurredAt: new Date().toISOString(),
    });
  }

  get deliveries() {
    return this.sender.deliveries;
  }

  flush(): Promise<void> {
    return this.sender.flush();
  }

  stop(): void {
    this.sender.stop();
  }
}
