import { seededUserId } from '../../sandbox/systems/salesforce/state';
import { chooseResolution } from '../../src/client';
import { caseResolution } from '../../src/workflows';
import { caseResolutionStateQuery } from '../../src/workflows/case-resolution';
import { workflowIds } from '../../src/workflows/lib/case-context';
import type { Recording } from './recording';

/**
 * A delayed-shipment case: the policy has no rule for it, so the run gathers the facts, waits for the
 * agent's choice (the chooseResolution update), runs the refund child for one line and closes the Case.
 */
export const recorder = (): Recording => {
  const caseNumber = '00010005';
  const workflowId = workflowIds.caseResolution(caseNumber);
  return {
    workflowId,
    run: async (client, config, sandbox) => {
      const { salesforce, erp, warehouse, payments } = config.taskQueues;
      const handle = await client.workflow.start(caseResolution, {
        taskQueue: config.taskQueues.orchestration,
        workflowId,
        args: [{ caseNumber, policy: { approvalThreshold: { default: 10_000_000 } }, taskQueues: { salesforce, erp, warehouse, payments } }],
      });
      for (;;) {
        if ((await handle.query(caseResolutionStateQuery)).stage === 'awaiting-agent') break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const agent = seededUserId(sandbox.world(), 'ana.agent@retail.example');
      await chooseResolution(client, caseNumber, { resolution: 'refund', agent, lines: [{ lineNumber: 10, quantity: 1 }], caller: 'recorder' });
      await handle.result();
    },
  };
};

/** Starts case-resolution for a delayed-shipment case the policy cannot decide, and waits until it asks the agent. */
async function untilAwaitingAgent(client: Parameters<Recording['run']>[0], config: Parameters<Recording['run']>[1], workflowId: string, caseNumber: string, policy: object) {
  const { salesforce, erp, warehouse, payments } = config.taskQueues;
  const handle = await client.workflow.start(caseResolution, { taskQueue: config.taskQueues.orchestration, workflowId, args: [{ caseNumber, policy, taskQueues: { salesforce, erp, warehouse, payments } }] });
  for (;;) {
    if ((await handle.query(caseResolutionStateQuery)).stage === 'awaiting-agent') return handle;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export const paths: Record<string, () => Recording> = {
  /** No agent chooses: escalated after the first timeout, closed without action after the second. */
  'agent-choice-timeout': () => {
    const workflowId = 'case-resolution/recorded-no-choice';
    return {
      workflowId,
      run: async (client, config) => {
        const handle = await untilAwaitingAgent(client, config, workflowId, '00010005', { agentChoiceTimeout: '1 second' });
        await handle.result();
      },
    };
  },
  /** Cancelled while it waits for the agent: the Case is handed back. */
  cancelled: () => {
    const workflowId = 'case-resolution/recorded-cancelled';
    return {
      workflowId,
      run: async (client, config) => {
        const handle = await untilAwaitingAgent(client, config, workflowId, '00010005', {});
        await handle.cancel();
        await handle.result().catch(() => undefined);
      },
    };
  },
};
