import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { modulesLoadedBy } from '@elder-sync/testkit';
import { describe, expect, it } from 'vitest';

/**
 * The CLI imports a connector when a source uses it, and `config validate` only needs the schema:
 * importing the built entry must not load msal-node or undici (they come with the first read).
 * Measured by what a fresh Node process loads through a loader hook, not by time.
 */
const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(PACKAGE, 'dist', 'index.js');

describe('importing @elder-sync/connector-graph', () => {
  it('loads neither msal-node nor undici until a tenant is read', () => {
    const files = modulesLoadedBy(`const m = await import(${JSON.stringify(pathToFileURL(ENTRY).href)}); m.default.configSchema.safeParse({});`, { cwd: PACKAGE });
    expect(files).toContain(ENTRY);
    expect(files.filter((f) => /@azure\+msal|@azure\/msal|undici/.test(f))).toEqual([]);
  });

  it('does load them for a read (the measurement sees them)', () => {
    const files = modulesLoadedBy(`await import('@azure/msal-node'); await import('undici');`, { cwd: PACKAGE });
    expect(files.some((f) => /msal-node/.test(f))).toBe(true);
  });
});
