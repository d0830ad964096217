// The AWS scenario (issue 11): an Organization of 3 accounts × 9 regions (27 regional scopes plus 3
// global ones for S3, 30 in all) holding about `resources` resources, served by the testkit's
// loopback AWS to the real CLI (real SDK clients, SigV4, pages of 100). First sync, then a run over
// the unchanged estate: it must write nothing, and its Elder reads must grow with the objects
// (about one per 1000), not with accounts × regions × kinds.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elderConfigLines, STATE_LINES } from './elder-config.mjs';

const ACCOUNTS = 3;
const REGIONS = ['ap-northeast-1', 'ap-southeast-1', 'ap-southeast-2', 'ca-central-1', 'eu-central-1', 'eu-west-1', 'sa-east-1', 'us-east-1', 'us-west-2'];
/** generateWorld: per (account, region) 7 resources per step plus one Aurora cluster; per account one bucket per step. */
const perRegionFor = (resources) => Math.max(1, Math.round((resources - ACCOUNTS * REGIONS.length) / (ACCOUNTS * REGIONS.length * 7 + ACCOUNTS)));

/**
 * @param {{ testkit: any, cli: (work: string, emulator: any, args: string[], env?: Record<string, string>) => Promise<any>, emit: (r: object) => void, round: (n: number, d?: number) => number, resources: number }} ctx
 */
export async function awsSeries({ testkit, cli, emit, round, resources }) {
  const perRegion = perRegionFor(resources);
  const world = testkit.generateWorld({ accounts: ACCOUNTS, regions: REGIONS, perRegion });
  const fake = await testkit.startAwsFake({ world, pageSize: 100 });
  const emulator = await testkit.startElderEmulator({});
  const work = mkdtempSync(join(tmpdir(), 'elder-sync-bench-aws-'));
  try {
    writeFileSync(
      join(work, 'elder-sync.yaml'),
      [
        ...elderConfigLines(emulator.url),
        ...STATE_LINES,
        'sources:',
        '  - name: bench-aws',
        '    connector: aws',
        '    concurrency: 8',
        '    config:',
        '      organization: { roleName: elder-sync-read }',
        '',
      ].join('\n'),
    );
    const env = fake.env();
    const first = await cli(work, emulator, ['run'], env);
    const entities = emulator.entities().length;
    const scopes = ACCOUNTS * (REGIONS.length + 1);
    const base = { scenario: 'aws', resources: entities, scopes, accounts: ACCOUNTS, regions: REGIONS.length };
    emit({
      ...base, run: 'first-sync', wallS: round(first.wallS), entitiesPerS: round(entities / first.wallS, 0),
      reads: first.reads, writes: first.writes, elderCallsPerEntity: round((first.reads + first.writes) / entities, 3),
      awsRequests: fake.requests().length, peakRssMb: round(first.maxRssMb, 1), cpuSeconds: round(first.cpuSeconds),
    });
    fake.resetRequests();
    const same = await cli(work, emulator, ['run'], env);
    emit({
      ...base, run: 'no-change', wallS: round(same.wallS), reads: same.reads, writes: same.writes,
      readsPer1000: round((same.reads / entities) * 1000, 1), awsRequests: fake.requests().length,
      peakRssMb: round(same.maxRssMb, 1), cpuSeconds: round(same.cpuSeconds), ok: same.writes === 0,
    });
  } finally {
    await fake.close();
    await emulator.close();
    rmSync(work, { recursive: true, force: true });
  }
}
