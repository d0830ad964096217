import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { UsageError } from '../../exit-codes.js';

export default class ConfigInit extends BaseCommand<typeof ConfigInit> {
  static override summary = 'Write a commented example configuration file.';
  static override description =
    'Writes an example elder-sync.yaml (or PATH) to edit. Secrets in it are ${ENV_VAR} references, never values. Refuses to overwrite an existing file without --force.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> /etc/elder-sync/config.yaml --force'];
  static override args = {
    path: Args.string({ description: 'Where to write it (default: ./elder-sync.yaml).' }),
  };
  static override flags = {
    force: Flags.boolean({ summary: 'Overwrite the file if it exists.' }),
  };

  public async run(): Promise<{ path: string }> {
    const path = resolve(this.args.path ?? 'elder-sync.yaml');
    const core = await this.core();
    try {
      // `wx` fails if the file exists, atomically: no window between a check and the write.
      writeFileSync(path, core.exampleConfig(), { flag: this.flags.force ? 'w' : 'wx', mode: 0o600 });
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
