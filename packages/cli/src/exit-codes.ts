/**
 * The exit codes of DESIGN §2, and the one place that turns an error into one of them.
 * Cron jobs and CI alert on these numbers: changing one is a breaking change.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  /** Only `diff --detailed-exitcode`: the plan has changes. */
  changes: 2,
  /** Some scopes failed, the others were applied. */
  partial: 3,
  /** Bad usage or configuration (BSD sysexits EX_USAGE). */
  usage: 64,
  /** Stopped by SIGINT or SIGTERM after finishing the writes in flight (128 + SIGINT, as shells do). */
  interrupted: 130,
} as const;

/**
 * Duck-typed on purpose: errors may come from a plugin's own copy of core (no shared classes),
 * and oclif's parse errors are CommonJS classes we do not import at startup.
 */
export function exitCodeFor(error: unknown): number {
  if (isUsageError(error)) return ExitCode.usage;
  if (error !== null && typeof error === 'object') {
    const { exitCode, oclif } = error as { exitCode?: unknown; oclif?: { exit?: unknown } };
    // ElderSyncError (ConfigError carries 64).
    if (typeof exitCode === 'number' && Number.isInteger(exitCode) && exitCode > 0) return exitCode;
    // oclif's ExitError and CLIErrors raised with an explicit `exit`.
    if (oclif && typeof oclif.exit === 'number' && oclif.exit > 0) return oclif.exit;
  }
  return ExitCode.failure;
}

/**
 * oclif's flag/argument parse errors (`CLIParseError` and subclasses) carry a `parse` context.
 * `oclif.exitCodes` in package.json moves most of them to 64, but not `FlagInvalidOptionError`
 * (`--log-format xml`), which falls back to `exitCodes.default`; so match them all here.
 */
export function isUsageError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  if ('parse' in error && 'oclif' in error) return true;
  return (error as { code?: unknown }).code === 'CONFIG_INVALID' || error instanceof UsageError;
}

/** A command refused its arguments in a way the parser cannot express (e.g. `--out` not yet supported). */
export class UsageError extends Error {
  readonly exitCode = ExitCode.usage;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
