import { join } from 'node:path';
import { mkdirSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld, startAwsFake, startElderEmulator, type AwsFake, type ElderEmulator } from '@elder-sync/testkit';
import { assertBuilt, cliEnv, runCli, scratch, type CliResult } from '../testing/cli.js';
import { passwordAuth, writeConfig } from '../testing/config.js';

/**
 * Issue 11's acceptance, end to end: the built CLI, the real AWS SDK clients against the testkit's
 * loopback AWS (an Organization of 3 accounts × 3 regions, pages of 2), and the Elder emulator. The
 * tests share one Elder and one state file and depend on their order.
 */

const ELDER_PASSWORD = 'Elder-Pw-aws-4d2f-secret';
const API_KEY = 'Worker-Api-Key-aws-9c3b-secret';
const [MGMT, M1, M2] = ['100000000010', '100000000011', '100000000012'];
const REGIONS = ['ap-southeast-2', 'eu-west-1', 'us-east-1'];
/** Per (account, region): 3 VPCs, 3 subnets, 3 instances, 3 functions, 1 cluster, 3 DB instances, 3 caches, 3 queues. */
const PER_REGION = 22;
const BUCKETS_PER_ACCOUNT = 3;
const TOTAL = 3 * 3 * PER_REGION + 3 * BUCKETS_PER_ACCOUNT;

let fake: AwsFake;
let elder: ElderEmulator;
let work: { dir: string; cleanup: () => void };
let transcript = '';

async function cli(args: string[], options: { env?: Record<string, string>; cwd?: string; config?: string | null } = {}): Promise<CliResult> {
  const config = options.config === undefined ? 'elder-sync.yaml' : options.config;
  const base = cliEnv(join(work.dir, 'data'));
  for (const k of Object.keys(base)) if (k.startsWith('AWS_')) delete base[k];
  const r = await runCli([...args, ...(config ? ['--config', config] : [])], {
    cwd: options.cwd ?? work.dir,
    env: { ...base, ...fake.env(), ELDER_PASSWORD, ...options.env },
    timeoutMs: 180_000,
  });
  transcript += r.stdout + r.stderr;
  return r;
}

const field = (row: Record<string, unknown>, ...names: string[]) => names.map((n) => row[n]).find((v) => v !== undefined);
const attrs = (e: Record<string, unknown>) => (field(e, 'attributes', 'metadata') ?? {}) as Record<string, unknown>;
const writes = () => elder.stats().writes;

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-aws-e2e');
  fake = await startAwsFake({ world: generateWorld({ accounts: 3, regions: REGIONS, perRegion: 3 }), pageSize: 2 });
  elder = await startElderEmulator({ users: [{ email: 'sync@example.test', password: ELDER_PASSWORD, globalRole: 'admin' }], staticTokens: [API_KEY] });
  writeConfig(join(work.dir, 'elder-sync.yaml'), {
    elder: { url: elder.url, ...passwordAuth('sync@example.test'), organization: { path: ['Acme'] } },
    state: { path: './state.db' },
    sources: [{ name: 'prod-aws', connector: 'aws', config: { organization: { roleName: 'elder-sync-read' } } }],
  });
});

afterAll(async () => {
  await fake?.close();
  await elder?.close();
  work?.cleanup();
});

describe('elder-sync run aws against an Organization of 3 accounts × 3 regions', () => {
  it('1. syncs exactly the expected entities, organizations (root → account → region) and dependencies', async () => {
    const r = await cli(['run', 'aws']);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Plan: \\d+ to create, 0 to update, 0 to delete, 0 unchanged\\.$`, 'm'));
    const entities = elder.entities();
    expect(entities).toHaveLength(TOTAL);
    const count = (sub: string) => entities.filter((e) => field(e, 'sub_type', 'subType') === sub).length;
    expect(count('virtual_machine')).toBe(27);
    expect(count('serverless')).toBe(27);
    expect(count('database')).toBe(27 + 9);
    expect(count('caching')).toBe(27);
    expect(count('queue_system')).toBe(27);
    expect(count('subnet')).toBe(27);
    expect(count('private_vpc')).toBe(27);
    expect(count('other')).toBe(9);

    // Organizations: Acme → prod-aws (source root) → account label → region.
    const orgs = elder.organizations();
    const byId = new Map(orgs.map((o) => [o['id'], o]));
    const pathOf = (o: Record<string, unknown>): string[] => {
      const parent = byId.get(o['parent_id']);
      return [...(parent ? pathOf(parent) : []), String(o['name'])];
    };
    const paths = orgs.map((o) => pathOf(o).join(' / ')).sort();
    for (const account of ['management', 'acme-1', 'acme-2']) {
      expect(paths.filter((p) => p.endsWith(account))).toHaveLength(1);
      for (const region of REGIONS) expect(paths.some((p) => p.endsWith(`${account} / ${region}`)), `${account} / ${region}`).toBe(true);
    }
    const instance = entities.find((e) => attrs(e)['region'] === 'eu-west-1' && attrs(e)['account_id'] === M1 && field(e, 'sub_type', 'subType') === 'virtual_machine')!;
    expect(pathOf(byId.get(instance['organization_id'])!).slice(-2)).toEqual(['acme-1', 'eu-west-1']);

    // instance → subnet (27), subnet → VPC (27), Lambda in a VPC → VPC (2 of 3 per region: 18), RDS → VPC (27), ElastiCache → VPC (27).
    expect(elder.dependencies()).toHaveLength(27 + 27 + 18 + 27 + 27);
    // Lambda environment values never leave AWS.
    expect(JSON.stringify(entities)).not.toContain('secret-value-');
  });

  it('1. a second run writes nothing', async () => {
    const before = writes();
    const r = await cli(['run', 'aws']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Plan: 0 to create, 0 to update, 0 to delete, ${TOTAL} unchanged\\.$`, 'm'));
    expect(writes()).toBe(before);
  });

  it('2. a terminated instance is deleted on the next run, in its scope only', async () => {
    const data = fake.world.accounts.find((a) => a.id === M1)!.data['eu-west-1']!;
    const victim = data.instances[1]!;
    victim.state = 'terminated';
    const r = await cli(['run', 'aws']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Plan: 0 to create, 0 to update, 1 to delete, \d+ unchanged\.$/m);
    const left = elder.entities();
    expect(left).toHaveLength(TOTAL - 1);
    expect(left.some((e) => attrs(e)['instance_id'] === victim.id)).toBe(false);
  });

  it('3. a throttling storm on EC2 in one region slows that bucket; the run succeeds', async () => {
    fake.resetRequests();
    fake.throttle({ service: 'ec2', region: 'us-east-1', account: M2, count: 5 });
    const before = writes();
    const r = await cli(['run', 'aws']);
    expect(r.code).toBe(0);
    expect(fake.requests().filter((x) => x.code === 'RequestLimitExceeded')).toHaveLength(5);
    // Every throttled call was tried again and answered.
    const ec2 = fake.requests().filter((x) => x.account === M2 && x.region === 'us-east-1' && x.action === 'ec2:DescribeInstances');
    expect(ec2.filter((x) => x.status === 200).length).toBeGreaterThanOrEqual(2);
    expect(writes()).toBe(before);
    fake.clearFaults();
  });

  it('4. an account whose role cannot be assumed: the others sync, exit 3, the summary names the account', async () => {
    fake.world.accounts.find((a) => a.id === M2)!.roles[0]!.refuse = true;
    // A change elsewhere still lands.
    fake.world.accounts.find((a) => a.id === M1)!.data['us-east-1']!.queues.push({ name: 'late-queue', attributes: { VisibilityTimeout: '30' }, tags: {} });
    try {
      const r = await cli(['run', 'aws']);
      expect(r.code).toBe(3);
      expect(r.stdout + r.stderr).toMatch(/account member-2 \(100000000012\)/);
      expect(r.stdout + r.stderr).toMatch(/role arn:aws:iam::100000000012:role\/elder-sync-read cannot be assumed by 100000000010/);
      expect(elder.entities().some((e) => attrs(e)['queue_name'] === 'late-queue')).toBe(true);
      // Nothing of the unreadable account is deleted.
      expect(elder.entities().filter((e) => attrs(e)['account_id'] === M2)).toHaveLength(3 * PER_REGION + BUCKETS_PER_ACCOUNT);
    } finally {
      fake.world.accounts.find((a) => a.id === M2)!.roles[0]!.refuse = false;
    }
  });

  it('5. test-connectivity names a missing permission by its IAM action', async () => {
    fake.deny({ action: 'ec2:DescribeInstances', account: M1 });
    try {
      const r = await cli(['test-connectivity', 'aws']);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain('ec2:DescribeInstances');
      expect(r.stdout + r.stderr).toMatch(/acme-1 eu-west-1/);
    } finally {
      fake.clearFaults();
    }
  });

  it('6. with no config file and only the standard AWS environment (and the worker\'s Elder variables), run aws --dry-run prints a plan', async () => {
    const empty = join(work.dir, 'empty');
    mkdirSync(empty);
    const before = writes();
    const r = await cli(['run', 'aws', '--dry-run'], {
      cwd: empty,
      config: null,
      env: { ELDER_API_URL: elder.url, ELDER_API_KEY: API_KEY, AWS_REGIONS: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-1' },
    });
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Plan: \d+ to create, 0 to update, 0 to delete, 0 unchanged\.$/m);
    expect(r.stdout).toContain('EC2: web-0');
    expect(writes()).toBe(before);
    expect(readdirSync(empty)).toEqual([]);
  });

  it('2. an account that left the Organization: its objects go only as a withheld mass delete, applied with --allow-mass-delete', async () => {
    const m2 = fake.world.accounts.find((a) => a.id === M2)!;
    const ofM2 = () => elder.entities().filter((e) => attrs(e)['account_id'] === M2);
    const owned = ofM2().length;
    expect(owned).toBe(3 * PER_REGION + BUCKETS_PER_ACCOUNT);
    m2.outsideOrganization = true;
    try {
      const held = await cli(['run', 'aws']);
      expect(held.code).toBe(3);
      expect(held.stdout + held.stderr).toMatch(/scope "100000000012\/eu-west-1" is no longer in the source/);
      expect(ofM2()).toHaveLength(owned);
      const applied = await cli(['run', 'aws', '--allow-mass-delete']);
      expect(applied.code).toBe(0);
      expect(ofM2()).toHaveLength(0);
      expect(elder.entities().filter((e) => attrs(e)['account_id'] === M1).length).toBeGreaterThan(0);
    } finally {
      m2.outsideOrganization = false;
    }
  });

  it('never prints a secret', () => {
    expect(transcript).not.toContain(ELDER_PASSWORD);
    expect(transcript).not.toContain(API_KEY);
    expect(transcript).not.toContain(fake.credentials.secretAccessKey);
  });
});
