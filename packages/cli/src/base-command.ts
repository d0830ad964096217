import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import type * as Core from '@elder-sync/core';
import { createConnectorLoader, discoverConnectors, type ConnectorDiscovery } from './connectors.js';
import { exitCodeFor, isUsageError } from './exit-codes.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

export type CoreModule = typeof Core;

/**
 * What every elder-sync command shares: global flags, `--json`, lazy access to core, and the one
 * error handler (exit code via `exitCodeFor`, `error: ` lines on stderr, secrets redacted).
 *
 * Core is imported inside `run()`, never at module top-level: its index pulls better-sqlite3,
 * undici and zod, and `--help` must not pay for them.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    config: Flags.string({
      summary: 'Config file (YAML or JSON). Else $ELDER_SYNC_CONFIG, else ./elder-sync.yaml.',
      helpGroup: 'GLOBAL',
    }),
    'log-level': Flags.option({
      options: ['debug', 'info', 'warn', 'error'] as const,
      summary: 'Log level on stderr. Default: info with --log-format json, warn with pretty.',
      env: 'ELDER_SYNC_LOG_LEVEL',
      helpGroup: 'GLOBAL',
    })(),
    'log-format': Flags.option({
      options: ['json', 'pretty'] as const,
      summary: 'Log lines on stderr: JSON lines, or short human lines. Default: pretty on a terminal, else json.',
      env: 'ELDER_SYNC_LOG_FORMAT',
      helpGroup: 'GLOBAL',
    })(),
    quiet: Flags.boolean({
      char: 'q',
      summary: 'Print only errors: no plan, no tables, logs at error level.',
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: BaseFlags<T>;
  protected args!: BaseArgs<T>;
  /** Every positional argument, for commands with a variadic SOURCE... (`strict = false`). */
  protected positional: string[] = [];

  private coreModule: CoreModule | null = null;
  private log_: Core.Logger | null = null;
  /** Where log lines go while a live progress view owns the bottom of the terminal (else stderr). */
  protected logWriter: ((line: string) => void) | null = null;
  /** Log settings from the config source (the worker's LOG_LEVEL/LOG_FORMAT); flags win. */
  protected logDefaults: { level?: Exclude<Core.LogLevel, 'silent'>; format?: 'json' | 'pretty' } = {};

  public override async init(): Promise<void> {
    await super.init();
    const { args, flags, argv } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as BaseArgs<T>;
    this.positional = argv.map(String);
  }

  /** `@elder-sync/core`, imported on first use. */
  protected async core(): Promise<CoreModule> {
    this.coreModule ??= await import('@elder-sync/core');
    return this.coreModule;
  }

  protected logFormat(): 'json' | 'pretty' {
    return this.flags['log-format'] ?? this.logDefaults.format ?? (process.stderr.isTTY ? 'pretty' : 'json');
  }

  /**
   * Default level: `info` for JSON logs (a collector wants the run's record), `warn` for pretty
   * logs (a person reads the plan and the summary; info lines would bury them).
   */
  protected logLevel(): Core.LogLevel {
    if (this.flags.quiet) return 'error';
    return this.flags['log-level'] ?? this.logDefaults.level ?? (this.logFormat() === 'json' ? 'info' : 'warn');
  }

  protected async logger(): Promise<Core.Logger> {
    if (this.log_ === null) {
      const core = await this.core();
      this.log_ = core.createLogger({
        level: this.logLevel(),
        format: this.logFormat(),
        write: (line) => (this.logWriter ?? writeStderrLine)(line),
      });
    }
    return this.log_;
  }

  /** Connectors declared by the loaded oclif plugins; nothing imported. */
  protected discovery(): ConnectorDiscovery {
    const discovery = discoverConnectors(this.config.getPluginsList());
    for (const warning of discovery.warnings) this.warnLine(warning);
    return discovery;
  }

  protected async connectorLoader(discovery: ConnectorDiscovery = this.discovery()): Promise<Core.ConnectorLoader> {
    const core = await this.core();
    return createConnectorLoader(discovery, {
      validateConnector: core.validateConnector,
      makeError: (message, exitCode) =>
        exitCode === 64
          ? new core.ConfigError([{ path: '', message }])
          : new core.ConnectorContractError(message),
    });
  }

  /** Human output on stdout: redacted, and silent under `--json` and `--quiet`. */
  protected out(text = ''): void {
    if (this.jsonEnabled() || this.flags?.quiet) return;
    process.stdout.write(this.redact(text) + '\n');
  }

  /** A warning line on stderr (also under `--json`: stdout stays machine-readable). */
  protected warnLine(text: string): void {
    process.stderr.write(this.redact(`warning: ${text}`) + '\n');
  }

  protected redact(text: string): string {
    return this.coreModule === null ? text : this.coreModule.redact(text);
  }

  /** Colour only when stdout is a terminal that wants it; chalk checks NO_COLOR/FORCE_COLOR. */
  protected async paint(): Promise<{ color: boolean; paint: Partial<Core.Paint> }> {
    if (this.jsonEnabled()) return { color: false, paint: {} };
    const { default: chalk } = await import('chalk');
    if (chalk.level === 0) return { color: false, paint: {} };
    return {
      color: true,
      paint: {
        create: chalk.green,
        update: chalk.yellow,
        delete: chalk.red,
        warn: chalk.magenta,
        heading: chalk.bold,
        dim: chalk.dim,
      },
    };
  }

  /** Also when parsing failed and `this.flags` is unset: the stack is what one then wants. */
  private wantsDebug(): boolean {
    if (this.flags !== undefined) return this.flags['log-level'] === 'debug';
    const i = this.argv.indexOf('--log-level');
    return (
      this.argv.includes('--log-level=debug') ||
      (i !== -1 && this.argv[i + 1] === 'debug') ||
      process.env['ELDER_SYNC_LOG_LEVEL'] === 'debug'
    );
  }

  protected override toSuccessJson(result: unknown): unknown {
    return redactDeep(result, (s) => this.redact(s));
  }

  /**
   * The single error path: one exit code from `exitCodeFor`, `error: ` lines on stderr (one per
   * config issue), a stack only with `--log-level debug`, and under `--json` an error document
   * on stdout. Every line passes through the secret registry.
   */
  public override async catch(error: Error & { code?: unknown }): Promise<never> {
    if (error instanceof Errors.ExitError) throw error;
    const code = exitCodeFor(error);
    const issues = (error as { issues?: Array<{ path: string; message: string }> }).issues;
    const lines = Array.isArray(issues)
      ? issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
      : errorLines(error);
    const debug = this.wantsDebug();
    for (const line of lines) process.stderr.write(this.redact(`error: ${line}`) + '\n');
    if (debug && error.stack) process.stderr.write(this.redact(error.stack) + '\n');
    if (this.jsonEnabled()) {
      const doc = {
        error: {
          name: error.name,
          code: typeof error.code === 'string' ? error.code : isUsageError(error) ? 'USAGE' : 'ERROR',
          message: lines.join('\n'),
          exitCode: code,
          ...(Array.isArray(issues) ? { issues } : {}),
        },
      };
      this.logJson(redactDeep(doc, (s) => this.redact(s)));
    }
    process.exitCode = code;
    throw new Errors.ExitError(code);
  }
}

function writeStderrLine(line: string): void {
  process.stderr.write(line + '\n');
}

/** oclif appends "See more help with --help" to parse errors; keep the first lines, drop noise. */
function errorLines(error: Error): string[] {
  const message = error.message || String(error);
  return message
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '' && l.trim() !== 'See more help with --help');
}

function redactDeep(value: unknown, redact: (s: string) => string): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(): unknown }).toJSON();
  }
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, redact);
    return out;
  }
  return value;
}
