import type { Command } from 'commander';
import { createContext, type CliContext, type GlobalOptions } from './context';
import { CliError, describeError, type ExitCodeValue } from './errors';

/** A command's body: gets the context, its positional arguments and its own options; answers an exit code. */
export type CommandBody<O> = (ctx: CliContext, args: string[], options: O) => Promise<ExitCodeValue | void>;

/**
 * Adapts a command body to commander's action signature: builds the context from the global
 * options, closes the connection afterwards, and turns any failure into a CliError (exit code + one line).
 */
export function action<O>(body: CommandBody<O>) {
  return async (...params: unknown[]): Promise<void> => {
    const command = params[params.length - 1] as Command;
    const options = command.opts() as O;
    const globals = command.optsWithGlobals() as GlobalOptions;
    const args = params.slice(0, -2).flatMap((a) => (Array.isArray(a) ? a : [a])) as string[];
    const ctx = createContext(globals);
    try {
      process.exitCode = (await body(ctx, args, options)) ?? 0;
    } catch (err) {
      if (err instanceof CliError) throw err;
      const { exitCode, message } = describeError(err, ctx.address);
      throw new CliError(message, exitCode);
    } finally {
      await ctx.close();
    }
  };
}
