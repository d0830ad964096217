import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, CLI_ROOT } from './testing/cli.js';

interface ManifestCommand {
  id: string;
  pluginName?: string;
  args?: Record<string, { required?: boolean }>;
  flags?: Record<string, { type: string; char?: string; multiple?: boolean; options?: string[]; default?: unknown; hidden?: boolean }>;
  strict?: boolean;
}

/**
 * The command line is a contract (cron jobs and CI scripts call it): any change to a command, flag
 * or argument shows up here as a snapshot diff, to be accepted on purpose (vitest -u).
 */
describe('command line surface', () => {
  it('matches the committed snapshot', async () => {
    assertBuilt();
    const manifest = JSON.parse(readFileSync(join(CLI_ROOT, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, ManifestCommand>;
    };
    const surface = Object.values(manifest.commands)
      .filter((c) => c.pluginName === undefined || c.pluginName === 'elder-sync')
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((c) => ({
        id: c.id,
        args: Object.entries(c.args ?? {}).map(([name, a]) => `${name}${a.required ? '' : '?'}`),
        variadic: c.strict === false,
        flags: Object.entries(c.flags ?? {})
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, f]) =>
            [
              `--${name}`,
              f.char ? `-${f.char}` : '',
              f.type,
              f.multiple ? 'multiple' : '',
              f.options ? `(${f.options.join('|')})` : '',
              f.default !== undefined ? `=${JSON.stringify(f.default)}` : '',
              f.hidden ? 'hidden' : '',
            ]
              .filter(Boolean)
              .join(' '),
          ),
      }));
    await expect(JSON.stringify(surface, null, 2) + '\n').toMatchFileSnapshot('../commands.snapshot.json');
  });
});
