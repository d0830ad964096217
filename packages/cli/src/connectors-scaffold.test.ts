import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scaffoldConnector, ScaffoldError } from './connectors-scaffold.js';
import { CLI_ROOT, scratch } from './testing/cli.js';

const TEMPLATE = join(CLI_ROOT, 'templates', 'connector');
const work = scratch('scaffold');
afterAll(() => work.cleanup());
const options = { id: 'okta', packageName: '@acme/elder-sync-connector-okta', sdkSpec: 'file:/t/sdk.tgz', coreSpec: 'file:/t/core.tgz', testkitSpec: '^0.1.0' };

describe('scaffoldConnector', () => {
  it('writes a package with every placeholder filled in and the elder-sync block for its id', () => {
    const dir = join(work.dir, 'okta');
    const files = scaffoldConnector(TEMPLATE, dir, options);
    expect(files).toEqual(expect.arrayContaining(['.gitignore', 'package.json', 'tsconfig.json', 'src/index.ts', 'src/conformance.test.ts', 'src/fake-api.ts']));
    for (const file of files) expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/__[A-Z_]+__/);
    const pjson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, any>;
    expect(pjson['name']).toBe('@acme/elder-sync-connector-okta');
    expect(pjson['oclif']).toEqual({});
    expect(pjson['elder-sync']).toEqual({ apiVersion: 1, connectors: { okta: './dist/index.js' } });
    // The plugin depends on the light SDK; the core (better-sqlite3, undici, pino) only reaches its tests, through the testkit.
    expect(pjson['dependencies']).toEqual({ '@elder-sync/connector-sdk': 'file:/t/sdk.tgz', zod: expect.any(String) });
    expect(pjson['overrides']['@elder-sync/core']).toBe('file:/t/core.tgz');
    expect(pjson['devDependencies']['@elder-sync/testkit']).toBe('^0.1.0');
    expect(readFileSync(join(dir, 'src', 'index.ts'), 'utf8')).toContain("id: 'okta'");
  });

  it('refuses a bad id, a bad package name and a non-empty directory, with exit 64', () => {
    const attempt = (dir: string, o = options) => {
      try {
        scaffoldConnector(TEMPLATE, dir, o);
      } catch (error) {
        return error as ScaffoldError;
      }
      throw new Error('expected a refusal');
    };
    expect(attempt(join(work.dir, 'a'), { ...options, id: 'Okta' }).message).toMatch(/connector id "Okta" must be lower-case/);
    expect(attempt(join(work.dir, 'b'), { ...options, packageName: 'Bad Name' }).code).toBe('SCAFFOLD_BAD_NAME');
    const full = join(work.dir, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'mine');
    const e = attempt(full);
    expect([e.code, e.exitCode]).toEqual(['SCAFFOLD_DIR_NOT_EMPTY', 64]);
    expect(readFileSync(join(full, 'keep.txt'), 'utf8')).toBe('mine');
  });
});
