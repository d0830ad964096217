import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { modulesLoadedBy } from '@elder-sync/testkit';
import { describe, expect, it } from 'vitest';

/**
 * `config validate` and `connectors` import a connector for its schema only: the built entry must not
 * load @googleapis/admin, googleapis-common, gaxios or google-auth-library (they come with the first
 * read). Measured by what a fresh Node process loads through a loader hook, not by time.
 */
const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(PACKAGE, 'dist', 'index.js');
const GOOGLE_SDK = /@googleapis[+/]admin|googleapis-common|gaxios|google-auth-library/;
describe('importing @elder-sync/connector-workspace', () => {
  it('loads no Google client library until a source is read', () => {
    const files = modulesLoadedBy(`const m = await import(${JSON.stringify(pathToFileURL(ENTRY).href)}); m.default.configSchema.safeParse({});`, { cwd: PACKAGE });
    expect(files).toContain(ENTRY);
    expect(files.filter((f) => GOOGLE_SDK.test(f))).toEqual([]);
  });

  it('does load them for a read (the measurement sees them)', () => {
    const files = modulesLoadedBy(`await import('@googleapis/admin');`, { cwd: PACKAGE });
    expect(files.some((f) => GOOGLE_SDK.test(f))).toBe(true);
  });
});
