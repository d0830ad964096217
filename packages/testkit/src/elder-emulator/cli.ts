/**
 * `elder-emulator` on the command line: start, print one line with the URL, run until SIGINT/SIGTERM.
 * Nothing secret is printed (no tokens, no passwords).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FaultConfigError, parseFaultConfig } from './faults.js';
import { startElderEmulator } from './server.js';
import type { ElderEmulatorOptions } from './types.js';

export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export const USAGE = `Usage: elder-emulator [options]

  --port N              listen port (default 4000; 0 picks a free one)
  --host ADDR           listen address (default 127.0.0.1)
  --strict-auth         require a token on every route (real Elder does not, elder-api.md §0.2)
  --legacy              answer in the ≤ v3.2.0 dialect (attributes/entity_type/organization_type)
  --shuffle-ties        random order among equal names on every list request
  --token-ttl N         access-token lifetime in seconds (default 14400)
  --refresh-ttl N       refresh-token lifetime in seconds (default 2592000)
  --latency-ms N        fixed delay added to every API response
  --static-token T      accept T as a bearer token (repeatable)
  --fault-rate R        probability 0..1 of injecting a fault
  --fault-kinds K,K     5xx-json,5xx-html,5xx-text,reset,slow,apply-then-fail,429
  --fault-seed N        seed for a reproducible fault schedule
  --fault-slow-ms N     how long the 'slow' fault holds a response (default 5000)
  --ready-file PATH     write the URL to PATH once listening
  --compact-json        compact JSON instead of Flask DEBUG's indent 2
  -h, --help            this text
`;

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new CliUsageError(`${flag} expects a number, got "${value}"`);
  return parsed;
}

export interface CliInvocation {
  help: boolean;
  readyFile: string | undefined;
  options: ElderEmulatorOptions;
}

export function parseCliArguments(argv: string[]): CliInvocation {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'strict-auth': { type: 'boolean' },
        legacy: { type: 'boolean' },
        'shuffle-ties': { type: 'boolean' },
        'token-ttl': { type: 'string' },
        'refresh-ttl': { type: 'string' },
        'latency-ms': { type: 'string' },
        'static-token': { type: 'string', multiple: true },
        'fault-rate': { type: 'string' },
        'fault-kinds': { type: 'string' },
        'fault-seed': { type: 'string' },
        'fault-slow-ms': { type: 'string' },
        'ready-file': { type: 'string' },
        'compact-json': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const values = parsed.values;
  const options: ElderEmulatorOptions = {
    port: number(values.port, '--port') ?? 4000,
    host: values.host ?? '127.0.0.1',
    strictAuth: values['strict-auth'] ?? false,
    dialect: values.legacy ? 'legacy' : 'v3.2.1',
    shuffleTies: values['shuffle-ties'] ?? false,
    prettyJson: !values['compact-json'],
  };
  const tokenTtl = number(values['token-ttl'], '--token-ttl');
  if (tokenTtl !== undefined) options.tokenTtlSeconds = tokenTtl;
  const refreshTtl = number(values['refresh-ttl'], '--refresh-ttl');
  if (refreshTtl !== undefined) options.refreshTtlSeconds = refreshTtl;
  const latency = number(values['latency-ms'], '--latency-ms');
  if (latency !== undefined) options.latencyMs = latency;
  if (values['static-token']) options.staticTokens = values['static-token'];
  const rate = number(values['fault-rate'], '--fault-rate');
  if (rate !== undefined || values['fault-kinds'] !== undefined) {
    try {
      options.faults = parseFaultConfig({
        rate: rate ?? 0,
        kinds: (values['fault-kinds'] ?? '').split(',').map((kind) => kind.trim()).filter(Boolean),
        seed: number(values['fault-seed'], '--fault-seed'),
        slowMs: number(values['fault-slow-ms'], '--fault-slow-ms'),
      });
    } catch (error) {
      if (error instanceof FaultConfigError) throw new CliUsageError(error.message);
      throw error;
    }
  }
  return { help: values.help ?? false, readyFile: values['ready-file'], options };
}

/** Run the CLI; resolves with the process exit code once the emulator has shut down. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  let invocation: CliInvocation;
  try {
    invocation = parseCliArguments(argv);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    process.stderr.write(`elder-emulator: ${error.message}\n\n${USAGE}`);
    return 64;
  }
  if (invocation.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const emulator = await startElderEmulator(invocation.options);
  if (invocation.readyFile) {
    // Written then renamed, so a script polling for the file never reads half a URL.
    const temporary = `${invocation.readyFile}.${process.pid}.tmp`;
    writeFileSync(temporary, emulator.url);
    renameSync(temporary, invocation.readyFile);
  }
  process.stdout.write(`elder-emulator listening on ${emulator.url}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await emulator.close();
  process.stderr.write(`elder-emulator: ${signal}, closed\n`);
  return 0;
}
