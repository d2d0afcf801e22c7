import { CommanderError } from 'commander';
import { installTracing } from '../../observability/tracing';
import { describeError, ExitCode } from './errors';
import { buildProgram } from './program';

/** retailctl's entry: runs one command; every error becomes one line on stderr and an exit code, never a stack trace. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  // An operator's signal or cancel joins the process's trace when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const tracing = installTracing('retailctl');
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) return 0;
    // A command group called without its subcommand: commander already printed the help on stderr.
    if (err instanceof CommanderError && err.code === 'commander.help') return ExitCode.usage;
    const { exitCode, message } = describeError(err, process.env.TEMPORAL_ADDRESS ?? 'the default address');
    process.stderr.write(`retailctl: ${message}\n`);
    if (process.env.RETAILCTL_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return exitCode;
  } finally {
    await tracing?.shutdown().catch(() => undefined);
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
    // A connection left behind by a failed call must not keep the terminal waiting.
    setTimeout(() => process.exit(code), 1_000).unref();
  });
}
