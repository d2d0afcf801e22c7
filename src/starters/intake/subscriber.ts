import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Config } from '../../config';
import type { IntakeConfig, IntakeTopic } from '../../config/intake';
import type { SalesforceConnector } from '../../connectors/salesforce';
import { isReplayRejected, type PubSubConnector, type ReceivedEvent, type ReplayStart } from '../../connectors/salesforce-pubsub';
import { startCaseResolution } from '../../client/start';
import type { Logger } from '../../observability/logger';
import type { intakeCursor } from '../../workflows/intake-cursor';
import { acknowledgeBatchUpdate, intakeCursorId, intakePositionQuery, recordGapUpdate, type HandledEvent, type IntakeCursorState, type IntakeOutcome } from '../../workflows/intake-cursor/definitions';
import { caseMatches, touchesRule } from './rule';
import { forwardCustomerChange } from '../../activities/customer-master';
import type { CustomerSyncTarget } from '../../domain/customer-master';
import { toCustomerChange } from './customer-change';

export interface IntakeDeps {
  client: Client;
  config: Config;
  intake: IntakeConfig;
  salesforce: SalesforceConnector;
  pubsub: PubSubConnector;
  logger: Logger;
  /** Where Account/Contact changes go (CUSTOMER_SYNC); without it they are let pass. */
  customers?: CustomerSyncTarget;
}

const CHANGE_TOPIC = '/data/CaseChangeEvent';

/**
 * One topic's intake: subscribe from the durable position, hand each batch to the case rule,
 * acknowledge it to intake/{topic} only once handled, and ask for the next batch after that.
 * A replay id Salesforce no longer knows (older than the 72-hour retention) is a gap: alerted,
 * caught up by a query for change events, and the subscription starts over.
 */
export class TopicIntake {
  private handle: WorkflowHandle<typeof intakeCursor> | undefined;

  constructor(
    private readonly deps: IntakeDeps,
    readonly topic: IntakeTopic,
  ) {}

  /** Follows the topic until the signal aborts; a failed stream resumes from the stored position. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.follow(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.deps.logger.warn('intake stream failed; resuming from the stored position', { topic: this.topic, error: (err as Error).message });
        await sleep(this.deps.intake.retryDelayMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private async cursor(): Promise<WorkflowHandle<typeof intakeCursor>> {
    if (this.handle) return this.handle;
    const { client, config } = this.deps;
    this.handle = await client.workflow.start<typeof intakeCursor>('intakeCursor', {
      workflowId: intakeCursorId(this.topic, this.deps.intake.id),
      taskQueue: config.taskQueues.orchestration,
      args: [{ topic: this.topic }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `Replay position of the Salesforce intake on ${this.topic}`,
    });
    return this.handle;
  }

  private async follow(signal: AbortSignal): Promise<void> {
    const cursor = await this.cursor();
    const position = await cursor.query(intakePositionQuery);
    let start: ReplayStart = position.replayId ? { preset: 'CUSTOM', replayId: Buffer.from(position.replayId, 'base64') } : { preset: 'LATEST' };
    // No replay id but a commit time: a caught-up gap whose next event was not yet acknowledged; query again from there.
    let catchUpSince = !position.replayId && position.lastCommitAt ? position.lastCommitAt : undefined;
    let gap = false;
    try {
      await this.stream(start, catchUpSince, false, signal);
      return;
    } catch (err) {
      if (!isReplayRejected(err)) throw err;
      gap = true;
      this.deps.logger.error('intake gap: the stored replay id is past retention', {
        event: 'alert',
        topic: this.topic,
        lastCommitAt: position.lastCommitAt,
        cause: (err as Error).message,
        // Platform Events cannot be queried: requests older than the retention are lost; the retained ones are replayed.
        recovery: this.topic === CHANGE_TOPIC ? 'query Cases modified since the last commit, then LATEST' : 'replay from EARLIEST',
      });
    }
    start = this.topic === CHANGE_TOPIC ? { preset: 'LATEST' } : { preset: 'EARLIEST' };
    catchUpSince = this.topic === CHANGE_TOPIC ? (position.lastCommitAt ?? new Date(0).toISOString()) : undefined;
    await this.stream(start, catchUpSince, gap, signal);
  }

  /** One subscription; resolves when aborted, rejects when the stream or a batch's handling failed. */
  private async stream(start: ReplayStart, catchUpSince: string | undefined, gap: boolean, signal: AbortSignal): Promise<void> {
    const { pubsub, intake, logger } = this.deps;
    const batchSize = intake.batchSize;
    let outstanding = batchSize;
    let queued = 0;
    let failed: ((err: unknown) => void) | undefined;
    const failure = new Promise<never>((_, reject) => (failed = reject));
    failure.catch(() => undefined);
    // Handling is strictly sequential: batches are acknowledged in the order Salesforce sent them.
    let work: Promise<void> = Promise.resolve();
    const enqueue = (task: () => Promise<void>) => {
      work = work.then(task).catch((err: unknown) => {
        failed?.(err);
        throw err;
      });
      work.catch(() => undefined);
    };

    const detectedAt = new Date().toISOString();
    const subscription = await pubsub.subscribe(this.topic, start, batchSize, (events) => {
      if (!events.length) return;
      outstanding -= events.length;
      queued += 1;
      enqueue(async () => {
        await this.handleBatch(events);
        queued -= 1;
        // Flow control: the next batch is asked for only when everything received has been handled.
        if (outstanding <= 0 && queued === 0) {
          outstanding = batchSize;
          subscription.request(batchSize);
        }
      });
    });
    logger.info('intake subscribed', { topic: this.topic, replayPreset: start.preset, batchSize, catchUpSince });
    // Registered after the subscription opened, so nothing committed during the query is missed.
    if (catchUpSince) enqueue(() => this.catchUp(catchUpSince, detectedAt, gap));

    const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    try {
      await Promise.race([subscription.done, failure, aborted]);
      if (!signal.aborted) throw new Error('the subscription ended');
    } finally {
      subscription.close();
    }
  }

  private async catchUp(since: string, detectedAt: string, gap: boolean): Promise<void> {
    const { salesforce, intake, logger } = this.deps;
    const cases = await salesforce.listCasesModifiedSince(since);
    const handled: HandledEvent[] = [];
    for (const kase of cases) {
      const outcome = caseMatches(intake.rule, kase) ? await this.start(kase.caseNumber) : 'skipped';
      handled.push({ eventId: `catch-up:${kase.caseId}:${detectedAt}`, replayId: '', outcome, caseNumber: kase.caseNumber, recordId: kase.caseId, change: 'catch-up' });
    }
    await (await this.cursor()).executeUpdate(recordGapUpdate, { args: [{ detectedAt, since, caughtUp: handled }] });
    logger.info('intake caught up by query', { topic: this.topic, since, cases: cases.length, started: handled.filter((h) => h.outcome === 'started').length, gap });
  }

  private async handleBatch(events: ReceivedEvent[]): Promise<IntakeCursorState> {
    const handled: HandledEvent[] = [];
    let lastCommit = 0;
    for (const event of events) {
      const replayId = event.replayId.toString('base64');
      if (event.changeHeader) {
        const header = event.changeHeader;
        lastCommit = Math.max(lastCommit, header.commitTimestamp);
        const customerEntity = header.entityName === 'Account' || header.entityName === 'Contact';
        for (const recordId of header.recordIds) {
          const outcome = customerEntity ? await this.onCustomerChange(event, recordId) : await this.onCaseChange(recordId, header.changeType, header.changedFields);
          handled.push({ eventId: event.id, replayId, recordId, change: header.changeType, ...outcome });
        }
      } else {
        const caseNumber = typeof event.payload.CaseNumber__c === 'string' ? event.payload.CaseNumber__c : undefined;
        handled.push({ eventId: event.id, replayId, caseNumber, change: 'request', outcome: caseNumber ? await this.start(caseNumber) : 'skipped' });
      }
      this.deps.logger.info('intake event', { topic: this.topic, ...handled.at(-1) });
    }
    const batch = { replayId: events.at(-1)!.replayId.toString('base64'), lastCommitAt: lastCommit ? new Date(lastCommit).toISOString() : undefined, handled };
    return (await this.cursor()).executeUpdate(acknowledgeBatchUpdate, { args: [batch], updateId: `ack:${batch.replayId}` });
  }

  private async onCaseChange(recordId: string, changeType: string, changedFields: string[]): Promise<{ outcome: IntakeOutcome; caseNumber?: string }> {
    const { rule } = this.deps.intake;
    if (changeType !== 'CREATE' && changeType !== 'UPDATE' && changeType !== 'GAP_CREATE' && changeType !== 'GAP_UPDATE') return { outcome: 'skipped' };
    if (changeType === 'UPDATE' && !touchesRule(rule, changedFields)) return { outcome: 'skipped' };
    // The event carries the record id and the changed fields; the rule needs the whole Case.
    const kase = await this.deps.salesforce.getCase(recordId);
    if (!caseMatches(rule, kase)) return { outcome: 'skipped', caseNumber: kase.caseNumber };
    return { outcome: await this.start(kase.caseNumber), caseNumber: kase.caseNumber };
  }

  /** An Account/Contact change to its customer's customerSync; the workflow drops repeats, so a redelivered batch is harmless. */
  private async onCustomerChange(event: ReceivedEvent, recordId: string): Promise<{ outcome: IntakeOutcome; customerId?: string }> {
    const target = this.deps.customers;
    if (!target || !event.changeHeader) return { outcome: 'skipped' };
    const change = await toCustomerChange(this.deps.salesforce, event, event.changeHeader, recordId);
    if (!change) return { outcome: 'skipped' };
    await forwardCustomerChange(this.deps.client, target, change);
    return { outcome: 'forwarded', customerId: change.customerId };
  }

  private async start(caseNumber: string): Promise<IntakeOutcome> {
    const started = await startCaseResolution(this.deps.client, { caseNumber, taskQueue: this.deps.config.taskQueues.orchestration });
    return started.existing ? 'existing' : 'started';
  }
}
