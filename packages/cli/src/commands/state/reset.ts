import { Args, Flags } from '@oclif/core';
import { UsageError } from '../../exit-codes.js';
import { StateCommand } from '../../state-command.js';

export interface StateResetResult {
  path: string;
  source: string | null;
  scope: string | null;
  scopes: number;
  mappings: number;
}

export default class StateReset extends StateCommand<typeof StateReset> {
  static override summary = 'Forget checkpoints and id mappings (all, one source, or one scope).';
  static override description =
    'Nothing in Elder changes. The next run reads everything and re-adopts the objects it created from the identity keys stored on them, so nothing is duplicated. Requires --yes.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> corp-ldap --yes',
    '<%= config.bin %> <%= command.id %> corp-ldap --scope dc=example,dc=com --yes',
  ];
  static override args = {
    source: Args.string({ description: 'Source name (default: every source).' }),
  };
  static override flags = {
    scope: Flags.string({ summary: 'Only this scope id (needs SOURCE).' }),
    yes: Flags.boolean({ char: 'y', summary: 'Confirm the reset.' }),
  };

  public async run(): Promise<StateResetResult> {
    const source = this.args.source ?? null;
    const scope = this.flags.scope ?? null;
    if (scope !== null && source === null) throw new UsageError('--scope needs a SOURCE argument');
    if (!this.flags.yes) {
      throw new UsageError(
        `state reset forgets ${source === null ? 'every source' : `source ${source}${scope ? ` scope ${scope}` : ''}`}'s checkpoints and mappings; add --yes to confirm`,
      );
    }
    const { path, store } = await this.openState({ create: false });
    if (store === null) {
      this.out(`Nothing to reset (${path} does not exist).`);
      return { path, source, scope, scopes: 0, mappings: 0 };
    }
    try {
      const removed = store.reset(source ?? undefined, scope ?? undefined);
      this.out(`reset ${removed.scopes} ${removed.scopes === 1 ? 'scope' : 'scopes'} and ${removed.mappings} ${removed.mappings === 1 ? 'mapping' : 'mappings'} in ${path}`);
      return { path, source, scope, ...removed };
    } finally {
      store.close();
    }
  }
}
