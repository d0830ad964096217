/**
 * The AWS connector passes the conformance suite every connector is held to, against the testkit's
 * loopback AWS (real SDK clients): an Organization of two accounts × two regions, one member read
 * through a role that demands an ExternalId (a secret the suite checks never leaks).
 */
import { generateWorld, startAwsFake } from '@elder-sync/testkit';
import { describeConnector } from '@elder-sync/testkit/conformance';
import connector from './index.js';
import { resetAwsRuntime } from './runtime.js';

const EXTERNAL_ID = 'ext-id-7f3a9c1e';

describeConnector(connector, {
  fake: async () => {
    const world = generateWorld({ accounts: 2, regions: ['eu-west-1', 'us-east-1'], perRegion: 2 });
    world.accounts[1]!.roles[0]!.externalId = EXTERNAL_ID;
    const fake = await startAwsFake({ world, pageSize: 2 });
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
    Object.assign(process.env, fake.env());
    resetAwsRuntime();
    return {
      config: {
        accounts: [{ roleArn: `arn:aws:iam::${world.accounts[1]!.id}:role/elder-sync-read`, externalId: EXTERNAL_ID, name: 'prod' }],
        organization: { roleName: 'elder-sync-read' },
      },
      close: async () => {
        process.env = saved;
        await fake.close();
      },
    };
  },
});
