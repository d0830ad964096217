import { startWorkspaceFake } from '@elder-sync/testkit/google';
import { describeConnector } from '@elder-sync/testkit/conformance';
import connector from './index.js';

describeConnector(connector, {
  config: { customer: 'my_customer' },
  fake: async () => {
    const fake = await startWorkspaceFake({ generate: { users: 25, groups: 5, orgUnitLevels: 2 }, pageLimit: { users: 10, groups: 2, members: 3 } });
    return { config: fake.config, close: () => fake.close() };
  },
});
