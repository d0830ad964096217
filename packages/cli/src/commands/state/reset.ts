import { Args, Flags } from '@oclif/core';
import { UsageError } from '../../exit-codes.js';
import { StateCommand } from '../../state-command.js';
import type { StateStore } from '@elder-sync/core';

export interface StateResetResult {
  path: string;
  source: string | null;
  scope: string | null;
  scopes: number;
  mappings: number;
  /** Where an unreadable state file was moved (it is never deleted). */
  movedTo?: string | null;
}

export default class StateReset extends StateCommand<typeof StateReset> {
  static override summary = 'Forget checkpoints and id mappings (all, one source, or one scope).';
  static override description =
    'Nothing in Elder changes. The next run reads everything and re-adopts the objects it created from the identity keys stored on them, so nothing is duplicated. A state file that cannot be read at all (corrupt, cut short, another program\'s database, from a newer elder-sync) is moved aside to <file>.unreadable-<time>, never deleted. Requires --yes.';
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
    let opened: { path: string; store: StateStore | null };
    try {
      opened = await this.openState({ create: false });
    } catch (error) {
      const core = await this.core();
      const code = (error as { code?: unknown }).code;
      if (!(error instanceof core.StateError) || typeof code !== 'string' || !core.UNUSABLE_STATE_CODES.includes(code)) throw error;
      // A file open() refuses cannot be edited: reset it whole by moving it aside (nothing deleted).
      const path = await this.statePath();
      if (source !== null) {
        throw new UsageError(`${path} cannot be read at all, so one source cannot be reset in it; run "elder-sync state reset --yes" without SOURCE to move the whole file aside`);
      }
      const movedTo = core.StateStore.moveAside(path);
      this.out(`${path} could not be read (${code}); moved it aside to ${movedTo}. The next run starts with fresh state and re-adopts every object from the keys stored on it in Elder.`);
      return { path, source, scope, scopes: 0, mappings: 0, movedTo };
    }
    const { path, store } = opened;
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
