import type { Duration } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, CancellationScope, condition, isCancellation, log, patched, workflowInfo } from '@temporalio/workflow';
import type { ReserveStockRequest } from '../../domain/inventory';
import type { ReplacementOrderRequest } from '../../domain/order';
import type { ReturnAuthorizationRequest } from '../../domain/return-authorization';
import type { ReleaseRequest } from '../../domain/fulfilment';
import { idempotencyKey } from '../../domain/idempotency';
import type { ResolutionPolicy } from '../../domain/policy';
import { createAlerter, type Alert } from '../lib/alerts';
import { failureType, untilSucceeded } from '../lib/persistent';
import { processStatus, type ProcessStatus } from '../lib/process-status';
import { Saga, type Compensation } from '../lib/saga';
import { stagesFilteredOn } from '../lib/stage';
import { replacementActivities, type ReplacementActivities } from './activities';
import { ShipmentTracker, type ShipmentProgress } from './shipment-tracker';
import type { ReplacementPlan, ReplacementResult, ReplacementStage, ReplacementState } from '../replacement';

type Proxy = 'bounded' | 'patient';

/** A failure where the system said no (not an outage, a timeout or a cancellation): nothing was created. */
function isRejection(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable === true;
}

/**
 * The steps of one replacement and the state they leave behind; the workflow function in
 * ../replacement.ts strings them together. Requests are built once, so an undo that repeats a create
 * sends the same parameters under the same key and gets the saved response back.
 */
export class ReplacementProcess {
  readonly tracker = new ShipmentTracker();
  readonly policy: ResolutionPolicy;
  readonly returnRequired: boolean;
  private readonly systems: ReplacementActivities;
  private readonly alerts: Alert[] = [];
  private readonly alert: (step: string, err: unknown) => Promise<void>;
  private readonly saga: Saga;
  /** Case_Process_Status__e after each milestone note. */
  private readonly status: ProcessStatus;
  /** Every compensation registered before the pivot, kept to withdraw the replacement after it. */
  private readonly undos: Compensation[] = [];
  /** Create steps the system rejected: nothing to undo for them. */
  private readonly rejected = new Set<string>();
  /** Post-pivot notes and updates already written, so following again after a cancel skips them. */
  private readonly done = new Set<string>();

  stage: ReplacementStage = 'reserving-stock';
  reservationId?: string;
  replacementOrderId?: string;
  replacementOrderNumber?: string;
  returnAuthorizationId?: string;
  releaseId?: string;
  escalations: string[] = [];
  compensated: string[] = [];
  cancelRequested = false;
  /** Why the replacement failed (before the pivot), for the query. */
  failure?: { stage: ReplacementStage; errorType?: string; message: string };

  constructor(private readonly input: ReplacementPlan) {
    this.policy = input.policy;
    this.returnRequired = input.returnRequired;
    const queues = input.queues;
    this.systems = replacementActivities(queues, this.policy.alertAfterAttempts, this.policy.retryMaximumInterval);
    this.alert = createAlerter({ caseId: input.case.caseId, salesforceQueue: queues.salesforce, alerts: this.alerts });
    this.saga = new Saga({ onStuck: (step, err) => this.alert(`undo:${step}`, err) });
    this.status = processStatus({ caseNumber: input.case.caseNumber, process: 'replacement', salesforceQueue: queues.salesforce, alertAfterAttempts: this.policy.alertAfterAttempts, alert: this.alert });
  }

  // ── 1. Reserve the stock ────────────────────────────────────────────────────────────────────────
  async reserveStock(): Promise<void> {
    const { warehouseId, lines } = this.input;
    this.enter('reserving-stock', `${lines.length} line(s) at ${warehouseId}`);
    const request: ReserveStockRequest = {
      warehouseId,
      lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      orderNumber: this.input.case.orderNumber,
      caseNumber: this.input.case.caseNumber,
    };
    const reserve = (p: Proxy) => this.systems.erp[p].reserveStock.executeWithOptions({ summary: 'ERP: reserve stock for the replacement' }, [request, this.key('reserve-stock')]);
    const release = (p: Proxy, id: string) => this.systems.erp[p].releaseReservation.executeWithOptions({ summary: 'ERP: release the reservation (undo)' }, [id, this.key('release-reservation')]);
    this.compensateWith('release-reservation', (p) => this.undoCreate('reserve-stock', () => this.reservationId, async () => (await reserve(p)).reservationId, (id) => release(p, id)));
    this.reservationId = (await this.create('reserve-stock', reserve)).reservationId;
  }

  // ── 2. Open the replacement order in the ERP ────────────────────────────────────────────────────
  async createReplacementOrder(): Promise<void> {
    const { warehouseId, lines } = this.input;
    this.enter('ordering-replacement', `for ${this.input.case.orderNumber}, reservation ${this.reservationId}`);
    const request: ReplacementOrderRequest = {
      originalOrderNumber: this.input.case.orderNumber,
      warehouseId,
      lines: lines.map((l) => ({ lineNumber: l.lineNumber, sku: l.sku, quantity: l.quantity })),
      reservationId: this.reservationId,
      reason: this.input.reason,
    };
    const open = (p: Proxy) => this.systems.erp[p].createReplacementOrder.executeWithOptions({ summary: 'ERP: create the replacement order' }, [request, this.key('create-replacement-order')]);
    const cancel = (p: Proxy, id: string) => this.systems.erp[p].cancelReplacementOrder.executeWithOptions({ summary: 'ERP: cancel the replacement order (undo)' }, [id, this.key('cancel-replacement-order')]);
    this.compensateWith('cancel-replacement-order', (p) =>
      this.undoCreate('create-replacement-order', () => this.replacementOrderId, async () => (await open(p)).replacementOrderId, (id) => cancel(p, id)),
    );
    const order = await this.create('create-replacement-order', open);
    this.replacementOrderId = order.replacementOrderId;
    this.replacementOrderNumber = order.orderNumber;
  }

  // ── 3. Authorize the return of the original goods ───────────────────────────────────────────────
  async createReturnAuthorization(): Promise<void> {
    this.enter('authorizing-return', `for ${this.input.case.orderNumber}`);
    const request: ReturnAuthorizationRequest = {
      orderNumber: this.input.case.orderNumber,
      caseNumber: this.input.case.caseNumber,
      lines: this.input.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, reason: this.input.reason })),
    };
    const authorize = (p: Proxy) => this.systems.erp[p].createReturnAuthorization.executeWithOptions({ summary: 'ERP: authorize the return of the original items' }, [request, this.key('create-return-authorization')]);
    const cancel = (p: Proxy, id: string) => this.systems.erp[p].cancelReturnAuthorization.executeWithOptions({ summary: 'ERP: cancel the return authorization (undo)' }, [id, this.key('cancel-return-authorization')]);
    this.compensateWith('cancel-return-authorization', (p) =>
      this.undoCreate('create-return-authorization', () => this.returnAuthorizationId, async () => (await authorize(p)).returnAuthorizationId, (id) => cancel(p, id)),
    );
    this.returnAuthorizationId = (await this.create('create-return-authorization', authorize)).returnAuthorizationId;
  }

  // ── 4. The pivot: release the replacement to the warehouse ──────────────────────────────────────
  async releaseToWarehouse(): Promise<void> {
    this.enter('releasing-to-warehouse', `replacement order ${this.replacementOrderNumber} at ${this.input.warehouseId}`);
    const request: ReleaseRequest = {
      replacementOrderNumber: this.replacementOrderNumber!,
      warehouseId: this.input.warehouseId,
      lines: this.input.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      // The warehouse echoes it on its events, so event ingestion can forward them to this process.
      clientReference: workflowInfo().workflowId,
    };
    const release = (p: Proxy) => this.systems.warehouse[p].createWarehouseRelease.executeWithOptions({ summary: 'Warehouse: release the replacement (pivot)' }, [{ release: request, idempotencyKey: this.key('create-release') }]);
    this.compensateWith('cancel-release', (p) => this.undoCreate('create-release', () => this.releaseId, async () => (await release(p)).releaseId, (id) => this.cancelRelease(p, id)));
    this.releaseId = (await this.create('create-release', release)).releaseId;
    this.tracker.follow(this.releaseId);
    this.saga.pivot();
  }

  // ── 5. Follow the parcel to the customer ────────────────────────────────────────────────────────
  async followShipment(): Promise<ReplacementResult> {
    await this.note('note-released', `Replacement released: order ${this.replacementOrderNumber}, warehouse release ${this.releaseId} at ${this.input.warehouseId}.`);

    this.enter('awaiting-shipment', `release ${this.releaseId}, due within ${this.policy.replacementShipWithin}`);
    await this.awaitMilestone('shipped', this.policy.replacementShipWithin, 'not-shipped-in-time', `Replacement ${this.replacementOrderNumber} not shipped within ${this.policy.replacementShipWithin}`);
    const { trackingNumber, carrier } = this.tracker;
    await this.note('note-shipped', `Replacement shipped${carrier ? ` with ${carrier}` : ''}: tracking number ${trackingNumber ?? 'not yet known'}.`);
    // The held stock left with the parcel; runs that started before this step leave their reservation as it was (docs/upgrades.md).
    if (this.reservationId && patched('consume-reservation-on-ship')) await this.consumeReservation(this.reservationId);

    this.enter('in-transit', `tracking ${trackingNumber ?? '?'}, due within ${this.policy.replacementDeliverWithin}`);
    await this.awaitMilestone('delivered', this.policy.replacementDeliverWithin, 'not-delivered-in-time', `Replacement ${this.replacementOrderNumber} (tracking ${trackingNumber ?? '?'}) not delivered within ${this.policy.replacementDeliverWithin}`);
    await this.note('note-delivered', `Replacement delivered (tracking ${this.tracker.trackingNumber ?? '?'}).`);
    await this.once('case-resolved', () =>
      this.until('case-resolved', (p) =>
        this.systems.salesforce[p].updateSalesforceCase.executeWithOptions({ summary: 'Salesforce: resolution = replacement' }, [
          { caseId: this.input.case.caseId, update: { resolution: 'replacement' }, idempotencyKey: this.key('case-resolved') },
        ]),
      ),
    );
    this.enter('delivered', `tracking ${this.tracker.trackingNumber ?? '?'}`);
    return this.result('delivered');
  }

  // ── 6. Failure or cancellation ──────────────────────────────────────────────────────────────────

  /** Before the pivot: undo everything (newest first); a cancel ends 'cancelled', a failure fails with its cause. */
  async undoBeforePivot(err: unknown): Promise<ReplacementResult> {
    const cancelled = isCancellation(err);
    const failedAt = this.stage;
    this.cancelRequested ||= cancelled;
    if (!cancelled) this.failure = { stage: failedAt, errorType: failureType(err), message: (err as Error)?.message ?? String(err) };
    this.enter('compensating', cancelled ? 'cancelled before the release' : `${failureType(err) ?? 'failure'} at ${failedAt}`);
    this.compensated = await this.saga.compensate();
    return CancellationScope.nonCancellable(async () => {
      const undone = this.compensated.length ? this.compensated.join(', ') : 'nothing to undo';
      if (cancelled) {
        await this.note('note-cancelled', `Replacement cancelled before the warehouse release; undone: ${undone}.`);
        this.enter('cancelled', undone);
        return this.result('cancelled');
      }
      await this.note('note-failed', `Replacement failed at ${failedAt} (${failureType(err) ?? 'error'}); undone: ${undone}.`);
      this.enter('failed', failureType(err));
      throw err;
    });
  }

  /**
   * After the pivot: the release is cancelled while the warehouse still allows it, and then the whole
   * replacement is withdrawn (same undo steps as before the pivot); once the parcel has shipped nothing
   * can be undone, so the cancel is noted on the case and the parcel is followed to delivery.
   */
  async cancelAfterPivot(): Promise<ReplacementResult> {
    this.cancelRequested = true;
    return CancellationScope.nonCancellable(async () => {
      if (await this.withdrawRelease()) {
        this.enter('compensating', 'cancelled after the release, before shipping');
        const withdrawal = new Saga({ onStuck: (step, err) => this.alert(`undo:${step}`, err) });
        for (const undo of this.undos) if (undo.step !== 'cancel-release') withdrawal.addCompensation(undo.step, undo.undo);
        this.compensated = ['cancel-release', ...(await withdrawal.compensate())];
        await this.note('note-cancelled', `Replacement cancelled before shipping; undone: ${this.compensated.join(', ')}.`);
        this.enter('cancelled', this.compensated.join(', '));
        return this.result('cancelled');
      }
      await this.note('note-cancel-refused', `Cancel requested, but replacement ${this.replacementOrderNumber} has already shipped; following it to delivery.`);
      return this.followShipment();
    });
  }

  state(): ReplacementState {
    const t = this.tracker;
    return {
      stage: this.stage,
      reservationId: this.reservationId,
      replacementOrderId: this.replacementOrderId,
      replacementOrderNumber: this.replacementOrderNumber,
      returnAuthorizationId: this.returnAuthorizationId,
      releaseId: this.releaseId,
      shipment: {
        progress: t.progress,
        trackingNumber: t.trackingNumber,
        carrier: t.carrier,
        shippedAt: t.shippedAt,
        deliveredAt: t.deliveredAt,
        eventsReceived: t.received,
        eventsIgnored: t.ignoredCount,
        ignored: [...t.ignored],
        exceptions: [...t.exceptions],
      },
      escalations: [...this.escalations],
      compensated: [...this.compensated],
      alerts: [...this.alerts],
      cancelRequested: this.cancelRequested,
      failure: this.failure,
    };
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────────────

  private result(status: ReplacementResult['status']): ReplacementResult {
    return {
      status,
      reservationId: this.reservationId,
      replacementOrderNumber: this.replacementOrderNumber,
      returnAuthorizationId: this.returnAuthorizationId,
      releaseId: this.releaseId,
      trackingNumber: this.tracker.trackingNumber,
      escalations: [...this.escalations],
      compensated: [...this.compensated],
      alerts: [...this.alerts],
    };
  }

  private key(step: string): string {
    return idempotencyKey(workflowInfo().workflowId, step);
  }

  // Operators filter on replacements waiting for the warehouse or the carrier, undoing, and on outcomes.
  private readonly showStage = stagesFilteredOn(['awaiting-shipment', 'in-transit', 'delivered', 'compensating', 'cancelled', 'failed'] satisfies ReplacementStage[]);

  private enter(stage: ReplacementStage, details?: string): void {
    this.stage = stage;
    this.showStage(stage, details);
  }

  private until<T>(step: string, run: (p: Proxy) => Promise<T>): Promise<T> {
    return untilSucceeded(step, run, this.alert);
  }

  private compensateWith(step: string, undo: Compensation['undo']): void {
    this.undos.push({ step, undo });
    this.saga.addCompensation(step, undo);
  }

  /** A create step: retried until it succeeds (one alert on the way); a rejection is remembered, so its undo knows nothing exists. */
  private async create<T>(step: string, run: (p: Proxy) => Promise<T>): Promise<T> {
    try {
      return await this.until(step, run);
    } catch (err) {
      if (isRejection(err)) this.rejected.add(step);
      throw err;
    }
  }

  /**
   * Undoes a create. Without an id (the call timed out or was cancelled after its side effect, maybe)
   * the create is repeated with the same key: the system replays the saved response, so the id comes
   * back; a rejection means nothing was created. "Not found" counts as undone.
   */
  private async undoCreate(step: string, knownId: () => string | undefined, repeat: () => Promise<string>, cancel: (id: string) => Promise<unknown>): Promise<void> {
    let id = knownId();
    if (id === undefined) {
      if (this.rejected.has(step)) return;
      try {
        id = await repeat();
      } catch (err) {
        if (isRejection(err)) return;
        throw err;
      }
    }
    try {
      await cancel(id);
    } catch (err) {
      if (failureType(err) === 'NotFoundError') return;
      throw err;
    }
  }

  private cancelRelease(p: Proxy, releaseId: string): Promise<unknown> {
    return this.systems.warehouse[p].cancelWarehouseRelease.executeWithOptions({ summary: 'Warehouse: cancel the release' }, [{ releaseId, idempotencyKey: this.key('cancel-release') }]);
  }

  /** True when the warehouse cancelled the release; false when the parcel already left (RELEASE_ALREADY_SHIPPED). */
  private async withdrawRelease(): Promise<boolean> {
    if (this.tracker.reached('shipped')) return false;
    try {
      await this.until('cancel-release', (p) => this.cancelRelease(p, this.releaseId!));
      return true;
    } catch (err) {
      if (failureType(err) === 'BusinessRejectionError') return false;
      throw err;
    }
  }

  /**
   * Waits for a milestone up to `within`. When it is overdue, the warehouse is asked first (an event
   * may have been lost); only if it confirms the delay is the case escalated, once, and the wait goes
   * on, with another look at the warehouse every `within`.
   */
  private async awaitMilestone(milestone: ShipmentProgress, window: string, escalation: string, subject: string): Promise<void> {
    const within = window as Duration; // validated by the policy schema
    const reached = () => this.tracker.reached(milestone);
    if (await condition(reached, within)) return;
    if (await this.lookAtWarehouse(milestone)) return;
    await this.escalate(escalation, subject);
    while (!(await condition(reached, within))) await this.lookAtWarehouse(milestone);
  }

  /** Feeds what the warehouse reports as an event (a safety net for lost events); true when the milestone is reached. */
  private async lookAtWarehouse(milestone: ShipmentProgress): Promise<boolean> {
    const lookup = this.systems.warehouseLookup;
    try {
      const release = await lookup.getWarehouseRelease.executeWithOptions({ summary: 'Warehouse: check the release (event overdue)' }, [this.releaseId!]);
      if (release.status === 'cancelled' || release.status === 'released') {
        log.warn('replacement release not moving', { releaseId: release.releaseId, status: release.status });
      } else {
        const shipment = release.shipmentId && !this.tracker.trackingNumber ? await lookup.getWarehouseShipment.executeWithOptions({ summary: 'Warehouse: read the parcel' }, [release.shipmentId]) : undefined;
        this.tracker.receive({ eventId: `lookup:${release.releaseId}:${release.status}`, type: release.status, releaseId: release.releaseId, trackingNumber: shipment?.trackingNumber, carrier: shipment?.carrier, occurredAt: new Date().toISOString() });
      }
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('could not check the replacement release', { releaseId: this.releaseId, errorType: failureType(err) });
    }
    return this.tracker.reached(milestone);
  }

  /** Once per kind: a task for a human in Salesforce and a note on the case. */
  private async escalate(escalation: string, subject: string): Promise<void> {
    if (this.escalations.includes(escalation)) return;
    const { caseId, caseNumber } = this.input.case;
    await this.until(`escalate:${escalation}`, (p) =>
      this.systems.salesforce[p].createSalesforceEscalationTask.executeWithOptions({ summary: `Salesforce: escalate (${escalation})` }, [
        { caseId, subject, description: `${subject}. Case ${caseNumber}, release ${this.releaseId}.`, priority: 'High', idempotencyKey: this.key(`escalate:${escalation}`) },
      ]),
    );
    this.escalations.push(escalation);
    log.warn('replacement escalated', { escalation, caseNumber });
    await this.note(`note-escalated:${escalation}`, `${subject}: escalated to a supervisor.`);
  }

  /** A milestone note on the case, written once (the key makes a repeat harmless). */
  private note(step: string, text: string): Promise<void> {
    return this.once(step, async () => {
      await this.until(step, (p) =>
        this.systems.salesforce[p].addSalesforceCaseComment.executeWithOptions({ summary: `Salesforce: case comment (${step})` }, [
          { caseId: this.input.case.caseId, text: `retail-orchestrator: ${text}`, idempotencyKey: this.key(step) },
        ]),
      );
      await this.status(step.replace(/^note-/, ''));
    });
  }

  /** Consumed, not released: on-hand and reserved go down together, so the ERP's availability stays true. */
  private consumeReservation(reservationId: string): Promise<void> {
    return this.once('consume-reservation', () =>
      this.until('consume-reservation', (p) =>
        this.systems.erp[p].consumeReservation.executeWithOptions({ summary: 'ERP: consume the reservation (shipped)' }, [reservationId, this.key('consume-reservation')]),
      ),
    );
  }

  private async once(step: string, run: () => Promise<unknown>): Promise<void> {
    if (this.done.has(step)) return;
    await run();
    this.done.add(step);
  }
}
