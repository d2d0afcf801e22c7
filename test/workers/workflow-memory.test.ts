import assert from 'node:assert/strict';
import type { OrderSyncInput } from '../../src/workflows/order-sync';
import type { RefundInput } from '../../src/workflows/refund';
import { measureWorkflowHeap } from '../../bench/lib/workflow-heap';
import { getWorkflowBundle } from '../helpers/temporal';

const KB = 1024;
const taskQueues = { salesforce: 'salesforce', erp: 'erp', warehouse: 'warehouse', payments: 'payments' };
const orderSyncInput: OrderSyncInput = { orderNumber: 'SO-100001', settings: { coalesceWindow: '1 second' }, taskQueues };
const refundInput: RefundInput = { caseNumber: '00001001', policy: { approvalThreshold: { default: 0 }, autoApproveUpTo: {}, returnRequiredFor: [], approvalTimeout: '24 hours' }, taskQueues };

/**
 * What a cached workflow holds in the workflow thread (docs/performance.md, "Worker memory"): the
 * production bundle in the SDK's reusable V8 context, each workflow run to its first wait. Before the
 * bundle shared zod, deferred each type's modules and hoisted scopes, every workflow cost ~1.5 MB.
 */
describe('workflow memory per cached workflow', function () {
  this.timeout(180_000);

  it('shares zod: no workflow evaluates it into its own module cache, and parsing still works in every one', async () => {
    const result = await measureWorkflowHeap(await getWorkflowBundle(), 'orderSync', [orderSyncInput], [3, 12]);
    assert.equal(result.failedActivations, 0, JSON.stringify(result.firstCompletion.failed));
    assert.deepEqual(result.ownModules.filter((m) => m.includes('/zod/')), []);
    assert.ok(result.ownModules.length > 0, 'the first workflow evaluated no module of its own: the measurement saw nothing');
  });

  it('still fails bad input with a non-retryable ValidationError through the shared, frozen zod', async () => {
    const bundle = await getWorkflowBundle();
    const bad = await measureWorkflowHeap(bundle, 'orderSync', [{ ...orderSyncInput, orderNumber: '' }], [2]);
    assert.equal(bad.failedActivations, 0, 'a bad input fails the workflow, not its activation');
    const failure = bad.firstCompletion.successful?.commands?.find((c) => c.failWorkflowExecution)?.failWorkflowExecution?.failure;
    assert.equal(failure?.applicationFailureInfo?.type, 'ValidationError');
    assert.equal(failure?.applicationFailureInfo?.nonRetryable, true);
  });

  for (const [workflowType, input, limitKb] of [['orderSync', orderSyncInput, 700], ['refund', refundInput, 800]] as const) {
    it(`a cached ${workflowType} holds under ${limitKb} KB of workflow heap (it held ~1.6 MB)`, async () => {
      const result = await measureWorkflowHeap(await getWorkflowBundle(), workflowType, [input], [10, 40]);
      assert.equal(result.failedActivations, 0, JSON.stringify(result.firstCompletion.failed));
      assert.ok(result.marginalBytes < limitKb * KB, `${Math.round(result.marginalBytes / KB)} KB per cached ${workflowType}`);
    });
  }
});
