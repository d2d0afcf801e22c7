import { Command } from 'commander';
import type { ScheduleSummary } from '@temporalio/client';
import { action } from '../action';
import { usageError } from '../errors';
import { emit, record, table } from '../output';

interface ListFlags {
  limit: string;
}

interface NoteFlags {
  note?: string;
}

export interface ListedSchedule {
  scheduleId: string;
  workflowType?: string;
  paused: boolean;
  note?: string;
  spec?: string;
  nextActionTimes: string[];
  lastActionTime?: string;
}

/** `retailctl schedules list|pause|unpause|trigger` over the server's schedules (reconciliation and friends). */
export function schedulesCommand(): Command {
  const schedules = new Command('schedules').description('list, pause, unpause or trigger schedules');

  schedules
    .command('list')
    .description('every schedule: workflow type, paused or not, next runs')
    .option('--limit <n>', 'at most this many', '100')
    .action(
      action<ListFlags>(async (ctx, _args, flags) => {
        const limit = Number(flags.limit);
        if (!Number.isInteger(limit) || limit < 1) throw usageError(`--limit: "${flags.limit}" is not a positive whole number`);
        const client = await ctx.client();
        const found: ListedSchedule[] = [];
        for await (const s of client.schedule.list({ pageSize: Math.min(limit, 1000) })) {
          found.push(summarize(s));
          if (found.length >= limit) break;
        }
        emit(ctx, found, () =>
          found.length === 0
            ? 'no schedules'
            : table(
                ['schedule id', 'workflow type', 'paused', 'spec', 'next run', 'last run'],
                found.map((s) => [s.scheduleId, s.workflowType, s.paused ? `yes${s.note ? ` (${s.note})` : ''}` : 'no', s.spec, s.nextActionTimes[0], s.lastActionTime]),
              ),
        );
      }),
    );

  const noteOption = (cmd: Command, verb: string) => cmd.argument('<scheduleId>', 'schedule id').option('--note <text>', `why it was ${verb}`);

  noteOption(schedules.command('pause').description('pause a schedule: no runs until unpaused'), 'paused').action(
    action<NoteFlags>(async (ctx, [id], flags) => {
      await (await ctx.client()).schedule.getHandle(id).pause(flags.note ?? 'paused with retailctl');
      emit(ctx, { scheduleId: id, paused: true }, () => record({ 'schedule id': id, paused: 'yes' }));
    }),
  );

  noteOption(schedules.command('unpause').description('resume a paused schedule'), 'unpaused').action(
    action<NoteFlags>(async (ctx, [id], flags) => {
      await (await ctx.client()).schedule.getHandle(id).unpause(flags.note ?? 'unpaused with retailctl');
      emit(ctx, { scheduleId: id, paused: false }, () => record({ 'schedule id': id, paused: 'no' }));
    }),
  );

  schedules
    .command('trigger')
    .description("run a schedule's action now, once (even while paused)")
    .argument('<scheduleId>', 'schedule id')
    .action(
      action(async (ctx, [id]) => {
        await (await ctx.client()).schedule.getHandle(id).trigger();
        emit(ctx, { scheduleId: id, triggered: true }, () => record({ 'schedule id': id, triggered: 'yes' }));
      }),
    );
  return schedules;
}

function summarize(s: ScheduleSummary): ListedSchedule {
  const spec = s.spec;
  const calendars = spec?.calendars?.length ? `${spec.calendars.length} calendar(s)` : undefined;
  const intervals = spec?.intervals?.map((i) => `every ${typeof i.every === 'number' ? `${i.every / 1000}s` : i.every}`).join(', ');
  const recent = s.info.recentActions.at(-1);
  return {
    scheduleId: s.scheduleId,
    workflowType: s.action?.workflowType,
    paused: s.state.paused,
    note: s.state.note || undefined,
    spec: [intervals, calendars].filter(Boolean).join('; ') || undefined,
    nextActionTimes: s.info.nextActionTimes.map((t) => t.toISOString()),
    lastActionTime: recent?.takenAt.toISOString(),
  };
}
