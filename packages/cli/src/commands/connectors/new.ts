import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { scaffoldConnector } from '../../connectors-scaffold.js';

export interface ConnectorsNewResult {
  id: string;
  packageName: string;
  dir: string;
  files: string[];
}

export default class ConnectorsNew extends BaseCommand<typeof ConnectorsNew> {
  static override summary = 'Create a connector package to build, test and install as a plugin.';
  static override description =
    'Writes a TypeScript npm package with an example connector (hosts from an inventory API), a fake of that API, and the @elder-sync/testkit conformance test. It builds, passes the conformance suite and installs with `plugins link` as generated. Guide: docs/writing-a-connector.md.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> okta',
    '<%= config.bin %> <%= command.id %> cmdb --dir ./connectors/cmdb --name @acme/elder-sync-connector-cmdb',
  ];
  static override args = {
    id: Args.string({ description: 'Connector id: lower-case letters, digits and dashes (used as `connector:` in the config).', required: true }),
  };
  static override flags = {
    dir: Flags.string({ summary: 'Where to create the package (default: ./elder-sync-connector-<id>). Must not exist or be empty.' }),
    name: Flags.string({ summary: 'npm package name (default: elder-sync-connector-<id>).' }),
    'sdk-spec': Flags.string({
      summary: 'npm spec of @elder-sync/connector-sdk to depend on (default: ^ this CLI\'s SDK version), e.g. file:/path/to/sdk.tgz offline.',
      env: 'ELDER_SYNC_SDK_SPEC',
    }),
    'core-spec': Flags.string({
      summary: 'npm spec of @elder-sync/core, which the testkit needs in tests (default: ^ this CLI\'s core version), e.g. file:/path/to/core.tgz offline.',
      env: 'ELDER_SYNC_CORE_SPEC',
    }),
    'testkit-spec': Flags.string({
      summary: 'npm spec of @elder-sync/testkit to depend on (default: the same range as core).',
      env: 'ELDER_SYNC_TESTKIT_SPEC',
    }),
  };

  public async run(): Promise<ConnectorsNewResult> {
    const id = this.args.id;
    const packageName = this.flags.name ?? `elder-sync-connector-${id}`;
    const dir = resolve(this.flags.dir ?? `elder-sync-connector-${id}`);
    // The ranges this CLI runs with: what a connector built today is tested against.
    const range = `^${packageVersion('@elder-sync/core')}`;
    const files = scaffoldConnector(join(this.config.root, 'templates', 'connector'), dir, {
      id,
      packageName,
      sdkSpec: this.flags['sdk-spec'] ?? `^${packageVersion('@elder-sync/connector-sdk')}`,
      coreSpec: this.flags['core-spec'] ?? range,
      testkitSpec: this.flags['testkit-spec'] ?? range,
    });
    const shown = relative(process.cwd(), dir) || '.';
    this.out(`created ${packageName} in ${shown}: ${files.length} files`);
    this.out('next:');
    this.out(`  cd ${shown}`);
    this.out('  npm install && npm test && npm run build');
    this.out('  elder-sync plugins link .');
    this.out(`  elder-sync connectors            # lists "${id}", origin link`);
    return { id, packageName, dir, files };
  }
}

/** Read from package.json, not by importing the package (this command needs none of it). */
function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}
