import { Command } from 'commander';
import { startPricingFeed } from '../../../client/pricing';
import { pricingConfigFromEnv } from '../../../config/pricing';
import { pricingFeedStateQuery, pricingFeedWorkflowId } from '../../../workflows/pricing-feed';
import { promotionStateQuery, promotionWorkflowId } from '../../../workflows/promotion';
import { action } from '../action';
import { usageError } from '../errors';
import { emit, record } from '../output';

/** `retailctl pricing start|status|promotion`: the ERP's prices and promotions in Salesforce. */
export function pricingCommand(): Command {
  const pricing = new Command('pricing').description('prices and promotions from the ERP to Salesforce price books');

  pricing
    .command('start')
    .description(`start the pricing feed (${pricingFeedWorkflowId}), or join the one running; PRICING_* variables set its intervals`)
    .action(
      action(async (ctx) => {
        let settings;
        try {
          settings = pricingConfigFromEnv();
        } catch (err) {
          throw usageError((err as Error).message);
        }
        const { orchestration: taskQueue, salesforce, erp, warehouse, payments } = ctx.config.taskQueues;
        const started = await startPricingFeed(await ctx.client(), { taskQueue, taskQueues: { salesforce, erp, warehouse, payments }, settings });
        emit(ctx, started, () => record({ 'workflow id': started.workflowId, 'run id': started.runId, started: started.existing ? 'no: the feed is already running' : 'yes' }));
      }),
    );

  pricing
    .command('status')
    .description("the feed's watermark, pending and refused prices (exit 3 when it is not running)")
    .action(
      action(async (ctx) => {
        const state = await (await ctx.client()).workflow.getHandle(pricingFeedWorkflowId).query(pricingFeedStateQuery);
        emit(ctx, state, () =>
          record({ watermark: state.watermark, polls: state.counts.polls, 'prices applied': state.counts.pricesApplied, 'ignored (duplicate or older)': state.counts.ignored, written: state.counts.written, refused: state.counts.refused, pending: Object.keys(state.pending).length, 'promotions notified': state.counts.promotionsNotified, 'malformed pushes dropped': state.counts.malformed, 'dropped (unknown list)': state.counts.droppedUnknownList, alerts: state.alerts.length }),
        );
      }),
    );

  pricing
    .command('promotion')
    .description("a promotion's phase in Salesforce and why it is held (exit 3 when unknown)")
    .argument('<promotionId>', 'the ERP promotion id')
    .action(
      action(async (ctx, [promotionId]) => {
        const state = await (await ctx.client()).workflow.getHandle(promotionWorkflowId(promotionId)).query(promotionStateQuery);
        emit(ctx, state, () => record({ promotion: state.promotionId, version: state.version, phase: state.phase, start: state.startAt, end: state.endAt, 'held because': state.heldBecause, 'went live': state.activatedAt, 'went off': state.deactivatedAt }));
      }),
    );
  return pricing;
}
