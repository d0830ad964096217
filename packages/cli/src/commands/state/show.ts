import { Args, Flags } from '@oclif/core';
import type { Mapping } from '@elder-sync/core';
import { StateCommand } from '../../state-command.js';

export interface StateShowResult {
  path: string;
  source: string;
  scope: string | null;
  mappings: Mapping[];
}

export default class StateShow extends StateCommand<typeof StateShow> {
  static override summary = "Show a source's id mappings: identity key → Elder id.";
  static override description =
    'One line per synced object: key, kind, Elder object and id, whether elder-sync owns it (and may delete it), and its content hash. Streamed, so it works for any size.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> corp-ldap',
    '<%= config.bin %> <%= command.id %> corp-ldap --scope dc=example,dc=com --json',
  ];
  static override args = {
    source: Args.string({ description: 'Source name.', required: true }),
  };
  static override flags = {
    scope: Flags.string({ summary: 'Only this scope id.' }),
  };

  public async run(): Promise<StateShowResult | undefined> {
    const source = this.args.source;
    const scope = this.flags.scope ?? null;
    const { path, store } = await this.openState({ create: false });
    try {
      await this.checkSourceName(source, store);
    } catch (error) {
      store?.close();
      throw error;
    }
    if (store === null) {
      this.out(`No state yet (${path} does not exist). ${ELDER_HOLDS}`);
      return { path, source, scope, mappings: [] };
    }
    try {
      const mappings = store.mappings(source, scope ?? undefined);
      if (this.jsonEnabled()) return { path, source, scope, mappings: [...mappings] };
      let n = 0;
      for (const m of mappings) {
        if (n++ === 0) this.out(['key', 'kind', 'elder', 'owned', 'hash'].join('\t'));
        this.out([m.key, m.kind, `${m.elderKind}#${m.elderId}`, m.owned ? 'owned' : 'adopted', m.hash ?? '-'].join('\t'));
      }
      this.out(n === 0 ? noMappings(source, scope, path) : `${n} ${n === 1 ? 'mapping' : 'mappings'}.`);
      return undefined;
    } finally {
      store.close();
    }
  }
}

/**
 * The state file is a cache; Elder is the authority (DESIGN §5.1). An empty answer must not read as
 * "nothing is synced": say where the truth is and how to see it.
 */
const ELDER_HOLDS =
  'Elder may still hold objects elder-sync owns (each carries an elder_sync stamp naming its source): the next run re-adopts them instead of creating duplicates, and `elder-sync diff` shows them against the source.';

function noMappings(source: string, scope: string | null, path: string): string {
  return `No mappings for ${source}${scope ? ` scope ${scope}` : ''} in ${path} (a new or lost state file). ${ELDER_HOLDS}`;
}
