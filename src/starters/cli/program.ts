import { Command } from 'commander';
import { codecCommand } from './commands/codec';
import { decisionCommands } from './commands/decisions';
import { describeCommand } from './commands/describe';
import { devKeyCommand } from './commands/dev-key';
import { lifecycleCommands } from './commands/lifecycle';
import { listCommand } from './commands/list';
import { messageCommands } from './commands/messages';
import { pricingCommand } from './commands/pricing';
import { reconcileCommand } from './commands/reconcile';
import { resetCommand } from './commands/reset';
import { schedulesCommand } from './commands/schedules';
import { failuresCommand, sloCommand } from './commands/slo';
import { startCommand } from './commands/start';
import { syncCommand } from './commands/sync';
import { versionsCommand } from './commands/versions';

const exitCodesHelp = `
Environment: the worker's TEMPORAL_* variables (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key,
TEMPORAL_PROFILE and TEMPORAL_CONFIG_FILE for a temporal.toml profile)
and TASK_QUEUE_* (starts go to TASK_QUEUE_ORCHESTRATION).

Exit codes: 0 ok · 1 failed (the operation failed, or with --wait the process ended failed)
            2 usage (bad flags, bad JSON, invalid input) · 3 not found (unknown workflow or schedule)`;

/** retailctl's command tree; usage errors surface as CommanderError (exit 2) instead of exiting here. */
export function buildProgram(): Command {
  const program = new Command('retailctl')
    .description('Operate retail-orchestrator processes: start, decide, signal, cancel, repair and find them.')
    .option('--json', 'machine-readable output on stdout')
    .option('--namespace <namespace>', 'Temporal namespace (overrides TEMPORAL_NAMESPACE)')
    .option('--address <host:port>', 'Temporal server (overrides TEMPORAL_ADDRESS)')
    .option('--profile <name>', 'temporal.toml connection profile (overrides TEMPORAL_PROFILE)')
    .addHelpText('after', exitCodesHelp)
    .showSuggestionAfterError()
    .exitOverride()
    // Commander prints its own error line; main.ts prints ours, so only help goes through commander.
    .configureOutput({ outputError: () => undefined });
  for (const command of [startCommand(), ...decisionCommands(), ...messageCommands(), ...lifecycleCommands(), describeCommand(), listCommand(), resetCommand(), reconcileCommand(), schedulesCommand(), devKeyCommand(), syncCommand(), codecCommand(), versionsCommand(), sloCommand(), failuresCommand(), pricingCommand()]) {
    program.addCommand(inherit(command, program));
  }
  return program;
}

/** Commands built apart from the program get its settings (exit override, quiet errors) down the whole tree. */
function inherit(command: Command, program: Command): Command {
  command.copyInheritedSettings(program);
  for (const sub of command.commands) inherit(sub, program);
  return command;
}
