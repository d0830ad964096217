import type { ScopeSummary } from '@elder-sync/core';
import { StateCommand } from '../../state-command.js';
import { formatTable } from '../../table.js';

export interface StateListResult {
  path: string;
  scopes: ScopeSummary[];
}

export default class StateList extends StateCommand<typeof StateList> {
  static override summary = 'List the checkpoints and id mappings kept per source and scope.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  public async run(): Promise<StateListResult> {
    const { path, store } = await this.openState({ create: false });
    if (store === null) {
      this.out(`No state yet (${path} does not exist).`);
      return { path, scopes: [] };
    }
    try {
      const scopes = store.sources();
      this.out(`state: ${path}`);
      this.out(
        formatTable(
          ['source', 'scope', 'mappings', 'owned', 'last run', 'status', 'last full read', 'runs since full'],
          scopes.map((s) => [
            s.source,
            s.scope,
            String(s.mappings),
            String(s.ownedMappings),
            s.lastRunAt ?? '-',
            s.lastStatus ?? '-',
            s.lastFullReadAt ?? '-',
            String(s.runsSinceFull),
          ]),
        ),
      );
      return { path, scopes };
    } finally {
      store.close();
    }
  }
}
