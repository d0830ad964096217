import { describeConnector } from '@elder-sync/testkit/conformance';
import connector from './index.js';
import { startFakeHostsApi } from './fake-api.js';

// The suite every elder-sync connector passes; see @elder-sync/testkit's README for each check.
describeConnector(connector, {
  config: { pageSize: 2 }, // smaller than the sample, so paging is exercised
  fake: async () => {
    const api = await startFakeHostsApi();
    return {
      config: { url: api.url, token: api.token },
      change: async () => {
        api.upsert({ id: 'h-002', name: 'web-2b', os: 'debian-13', ip: '10.0.0.12', site: 'Frankfurt' });
        return [{ kind: 'host', externalId: 'h-002' }];
      },
      close: () => api.close(),
    };
  },
});
