import { BaseCommand } from '../../base-command.js';
import { formatTable } from '../../table.js';
import type { ConnectorEntry, ConnectorRefusal } from '../../connectors.js';

export interface ConnectorsResult {
  connectors: Array<Omit<ConnectorEntry, 'root' | 'entry'>>;
  refused: ConnectorRefusal[];
}

export default class Connectors extends BaseCommand<typeof Connectors> {
  static override summary = 'List the connectors of the installed plugins.';
  static override description =
    'Reads the "elder-sync" block of every plugin package (bundled, installed with `plugins install`, or linked) without loading any connector. A user-installed or linked connector replaces a bundled one with the same id.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  public async run(): Promise<ConnectorsResult> {
    const discovery = this.discovery();
    const connectors = [...discovery.connectors.values()].map(({ id, packageName, version, origin, apiVersion }) => ({
      id,
      packageName,
      version,
      origin,
      apiVersion,
    }));
    for (const r of discovery.refused) {
      this.warnLine(`${r.packageName}${r.id ? ` (connector "${r.id}")` : ''} refused: ${r.reason}`);
    }
    if (connectors.length === 0) {
      this.out('No connectors installed. Install one with: elder-sync plugins install <name>');
    } else {
      this.out(
        formatTable(
          ['id', 'package', 'version', 'origin', 'apiVersion'],
          connectors.map((c) => [c.id, c.packageName, c.version, c.origin, String(c.apiVersion)]),
        ),
      );
    }
    return { connectors, refused: discovery.refused };
  }
}
