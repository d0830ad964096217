import { BaseCommand } from '../../base-command.js';
import { loadConfigReportingAll, validateSources } from '../../config-api.js';

export interface ConfigValidateResult {
  file: string;
  sources: Array<{ name: string; connector: string }>;
}

export default class ConfigValidate extends BaseCommand<typeof ConfigValidate> {
  static override summary = 'Check the configuration offline: no network, no credentials used.';
  static override description = `Loads the config file (else $ELDER_SYNC_CONFIG, else ./elder-sync.yaml, else the Python worker's environment variables), substitutes \${ENV} and \${file:...} references, and checks every source's config against its connector. Every problem is printed with its path (sources[1].config.url) and the command exits 64.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --config /etc/elder-sync/config.yaml'];

  public async run(): Promise<ConfigValidateResult> {
    const core = await this.core();
    const loader = await this.connectorLoader();
    const { path: file, config, workerEnv } = await loadConfigReportingAll(core, this.flags.config, loader);
    for (const warning of workerEnv?.warnings ?? []) this.warnLine(warning);
    await validateSources(core, config, config.sources, loader, workerEnv);
    const n = config.sources.length;
    this.out(`config OK: ${n} ${n === 1 ? 'source' : 'sources'} (${file})`);
    return { file, sources: config.sources.map(({ name, connector }) => ({ name, connector })) };
  }
}
