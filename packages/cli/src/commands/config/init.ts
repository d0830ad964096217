import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { UsageError } from '../../exit-codes.js';

export default class ConfigInit extends BaseCommand<typeof ConfigInit> {
  static override summary = 'Write a commented example configuration file.';
  static override description =
    "Writes an example elder-sync.yaml (or PATH) to edit; with --from-env, the configuration the Python worker's environment variables (its .env: ELDER_API_URL, ELDER_API_KEY, LDAP_ENABLED, LDAP_SERVER, ...) amount to. Secrets in it are ${ENV_VAR} references, never values. Refuses to overwrite an existing file without --force.";
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> /etc/elder-sync/config.yaml --force',
    { description: "Migrate the Python worker's .env:", command: 'set -a; . ./.env; set +a; <%= config.bin %> <%= command.id %> --from-env' },
  ];
  static override args = {
    path: Args.string({ description: 'Where to write it (default: ./elder-sync.yaml).' }),
  };
  static override flags = {
    force: Flags.boolean({ summary: 'Overwrite the file if it exists.' }),
    'from-env': Flags.boolean({ summary: "Write the configuration the Python worker's environment variables describe." }),
  };

  public async run(): Promise<{ path: string }> {
    const path = resolve(this.args.path ?? 'elder-sync.yaml');
    const core = await this.core();
    // Example sources only for the connectors installed here (`elder-sync connectors`).
    let text = core.exampleConfig([...this.discovery().connectors.keys()]);
    if (this.flags['from-env']) {
      // Validated first, so a missing variable is named now and not at the first run.
      const fromEnv = core.configFromWorkerEnv(process.env);
      for (const warning of fromEnv.warnings) this.warnLine(warning);
      text = core.workerEnvYaml(fromEnv);
    }
    try {
      // `wx` fails if the file exists, atomically: no window between a check and the write.
      writeFileSync(path, text, { flag: this.flags.force ? 'w' : 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new UsageError(`${path} already exists; use --force to overwrite it`);
      }
      throw error;
    }
    this.out(`wrote ${path}`);
    this.out(`next: edit it, then run: elder-sync config validate${this.args.path ? ` --config ${path}` : ''}`);
    return { path };
  }
}
