import type { ConnectorDefinition, JsonObject } from '@elder-sync/connector-sdk';

/** A record's identity within one scope: `<kind>/<externalId>` (the source name is added by the core). */
export interface RecordRef {
  kind: string;
  externalId: string;
}

/**
 * A running stand-in for the connector's source (a loopback server, a throwaway slapd, a temp
 * file), started once before the suite and closed after it.
 */
export interface ConnectorFake {
  /** Config values (config-file form) that point the connector at this fake; merged over `options.config`. */
  config?: JsonObject;
  /**
   * Changes the source so that an incremental read has something to return (modify one object,
   * add one), and says which records it touched. Without it, the delta check only verifies that
   * a read from an up-to-date checkpoint returns nothing.
   */
  change?: () => Promise<RecordRef[]>;
  close(): Promise<void>;
}

export interface DescribeConnectorOptions {
  /** The source's `config` block as a user would write it (before defaults are applied). */
  config?: JsonObject;
  /** Starts the fake source; called once in `beforeAll`, closed in `afterAll`. */
  fake?: () => Promise<ConnectorFake>;
  /**
   * Values that must never appear in what the connector emits, beyond those the config schema
   * marks with `secret()` (those are found automatically).
   */
  secrets?: string[];
  /** Title of the vitest `describe` block (default: `connector "<id>" conformance`). */
  title?: string;
}

/**
 * Any connector object. Typed loosely on purpose: a plugin author's connector is built against
 * their own copy of `@elder-sync/connector-sdk`, and the suite checks it structurally, as the CLI does.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyConnector = ConnectorDefinition<any>;
