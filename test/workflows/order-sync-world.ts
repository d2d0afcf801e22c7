import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Sandbox } from '../../sandbox';
import { buildActivities } from '../../src/activities';
import type { Config } from '../../src/config';
import type { OrderEvent } from '../../src/domain/order-event';
import { createWorkers, shutdownWorkers } from '../../src/workers/workers';
import { configFor, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, testEnvTimeoutMs } from '../helpers/temporal';

/** What an orderSync suite drives: the dev server, the sandbox's Salesforce and cloud ERP, the real workers on queues of its own. */
export interface OrderSyncWorld {
  env: TestWorkflowEnvironment;
  sandbox: Sandbox;
  config: Config;
}

/** Registers the suite's before/after hooks (call it inside `describe`); the fields are set once `before` has run. */
export function orderSyncWorld(queues: string): OrderSyncWorld {
  const world = {} as OrderSyncWorld;
  let stop = async (): Promise<void> => undefined;
  before(async function () {
    this.timeout(testEnvTimeoutMs);
    world.env = await getTestEnv();
    world.sandbox = await startTestSandbox(['salesforce', 'erpCloud']);
    world.config = configFor(world.sandbox, isolatedQueueEnv(queues));
    const activities = buildActivities(world.config);
    const workers = await createWorkers(world.config, { connection: world.env.nativeConnection, workflowBundle: await getWorkflowBundle(), activities });
    const running = Promise.all(workers.map((w) => w.run()));
    stop = async () => {
      shutdownWorkers(workers);
      await running;
      await activities.close();
      await world.sandbox.close();
    };
  });
  after(() => stop());
  return world;
}

/** An ERP status change as the events API hands it to orderSync: ids and times follow the sequence. */
export function erpStatusEvent(orderNumber: string, sequence: number, status: OrderEvent['status']): OrderEvent {
  return {
    eventId: `evt-erp-${orderNumber}-${sequence}`,
    source: 'erp',
    type: 'order.status_changed',
    orderNumber,
    sequence,
    status,
    occurredAt: new Date(Date.now() - 3_600_000 + sequence * 1000).toISOString(),
  };
}
