/**
 * The GCP connector passes the conformance suite a third-party connector is held to
 * (@elder-sync/testkit/conformance), against the testkit's loopback Google Cloud (three projects
 * under a two-level folder tree, pages of 2) and token endpoint.
 */
import { describeConnector } from '@elder-sync/testkit/conformance';
import { gcpEstate, mintServiceAccountKey, startGcpServer, startGoogleTokenServer } from '@elder-sync/testkit/google';
import connector from './index.js';

describeConnector(connector, {
  config: { parents: ['organizations/123456789'], excludeProjects: ['sandbox-*'], pageSize: 2 },
  fake: async () => {
    const sa = mintServiceAccountKey();
    const tokens = await startGoogleTokenServer({ accounts: [sa] });
    const gcp = await startGcpServer(tokens, gcpEstate());
    return {
      config: { credentials: sa.json, endpoints: gcp.endpoints },
      close: async () => {
        await gcp.close();
        await tokens.close();
      },
    };
  },
});
