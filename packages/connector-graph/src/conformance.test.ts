/**
 * The Graph connector passes the conformance suite every connector is held to, against the testkit's
 * loopback Microsoft fake with two tenants, every resource, small pages and the real msal-node.
 */
import { describeConnector } from '@elder-sync/testkit/conformance';
import connector from './index.js';
import { TENANTS, configFor, startFake } from './test-support.js';

const tenants = [TENANTS[0], TENANTS[1]];

describeConnector(connector, {
  fake: async () => {
    const fake = await startFake(tenants);
    return {
      config: configFor(fake, tenants),
      change: async () => {
        const t = fake.tenant(TENANTS[1].id);
        const user = t.users.all()[2]!;
        t.addUser({ ...user, department: 'Finance' });
        const device = [...t.managedDevices.values()][0]!;
        t.managedDevices.set(device.id, { ...device, complianceState: 'noncompliant', osVersion: '10.0.26100' });
        return [
          { kind: 'user', externalId: user.id },
          { kind: 'managed_device', externalId: device.id },
        ];
      },
      close: () => fake.close(),
    };
  },
});
