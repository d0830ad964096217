import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeConnector } from './describe-connector.js';
import { memoryConnector, memoryFake } from './fixtures/memory-connector.js';
import { itemProblems } from './record-problems.js';

// A connector that keeps every promise passes the whole suite...
describeConnector(memoryConnector(), { fake: memoryFake() });

// ...and each broken promise fails exactly the test that states it (a child vitest runs them).
describe('describeConnector catches broken connectors', () => {
  it('fails the named test for each flaw, and only that one', async () => {
    const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
    const vitestBin = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
    const out = mkdtempSync(join(tmpdir(), 'conformance-'));
    try {
      const report = join(out, 'report.json');
      await new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [vitestBin, 'run', '--root', fixtures, '--config', join(fixtures, 'vitest.config.mjs'), '--reporter=json', `--outputFile=${report}`], {
          stdio: 'ignore',
          env: { ...process.env, FORCE_COLOR: '0' },
        });
        child.on('error', reject);
        child.on('close', () => resolve()); // exits 1: the fixture's suites are meant to fail
      });
      const results = (JSON.parse(readFileSync(report, 'utf8')) as {
        testResults: Array<{ assertionResults: Array<{ ancestorTitles: string[]; title: string; status: string; failureMessages: string[] }> }>;
      }).testResults.flatMap((f) => f.assertionResults);
      const failed = (suite: string) => results.filter((r) => r.ancestorTitles[0] === suite && r.status === 'failed');
      const titles = (suite: string) => failed(suite).map((r) => r.title);

      expect(titles('leakSecret')).toEqual(['never lets a secret into records, checkpoints, checks or logs']);
      expect(titles('duplicateKey')).toEqual(['yields records of every declared kind, each valid, with unique non-empty keys']);
      expect(failed('duplicateKey')[0]!.failureMessages.join('\n')).toContain('host/h1');
      expect(titles('unstableOrder')).toEqual(['gives identical, identically ordered output on two full reads']);
      expect(titles('ignoreCheckpoint')).toEqual(['from its last checkpoint, reads only what changed']);
      expect(titles('noRead')).toContain('passes the structural contract check the CLI applies');
      expect(failed('noRead')[0]!.failureMessages.join('\n')).toContain('read must be a function');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('itemProblems', () => {
  const kinds = { user: { target: 'entity' as const, entityType: 'user' } };
  it('accepts a valid record and names each problem of a bad one', () => {
    expect(itemProblems({ type: 'record', record: { kind: 'user', externalId: 'u1', name: 'U', attributes: { a: 1 } } }, kinds, 'item 0')).toEqual([]);
    const bad = itemProblems(
      {
        type: 'record',
        record: { kind: 'group', externalId: ' ', name: 'G', attributes: { when: new Date(0) } as never, relations: [{ type: 'member_of', kind: 'team', externalId: 'x' }] },
      },
      kinds,
      'item 1',
    );
    expect(bad).toEqual([
      'item 1 (group/ ): kind "group" is not one of the declared kinds (user)',
      'item 1 (group/ ): externalId must be a non-empty string (the source\'s immutable id)',
      'item 1 (group/ ): attributes must be JSON values only (no Date, undefined, NaN, bigint or class instances)',
      'item 1 (group/ ): relations[0].kind "team" is not a declared kind',
    ]);
  });
});
