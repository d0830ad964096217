import { pages, type Logger, type RecordRelation } from '@elder-sync/connector-sdk';
import type { AwsService } from './config.js';
import { DEPENDS, type RecordScope } from './mapping.js';
import { closePool, type AwsRuntime, type ClientConfig, type ClientFamily, type ClientPool, type ModuleOf, type Session } from './runtime.js';

/** What a service reader gets: the scope, and calls that go through the limiter. */
export class ScopeApi implements RecordScope {
  /** `kind/externalId` of the relation targets this scope has yielded (VPCs, subnets, clusters: few). */
  private readonly yielded = new Set<string>();
  private readonly pool: ClientPool = new Map();

  constructor(
    readonly runtime: AwsRuntime,
    readonly session: Session,
    readonly accountId: string,
    readonly accountLabel: string,
    readonly region: string,
    readonly services: ReadonlySet<AwsService>,
    readonly signal: AbortSignal,
    readonly log: Logger,
  ) {}

  client<F extends ClientFamily, C>(family: F, make: (m: ModuleOf<F>, config: ClientConfig) => C, region = this.region): Promise<C> {
    return this.runtime.client(family, this.session, region, make, this.pool);
  }

  /** Closes the clients this scope made. */
  close(): Promise<void> {
    return closePool(this.pool);
  }

  call<T>(action: string, task: () => Promise<T>, region = this.region): Promise<T> {
    return this.runtime.call(this.session, region, action, task, this.signal);
  }

  /** Every page of a listing, each page one limited call; a repeating token fails the scope. */
  pages<P>(action: string, fetch: (token: string | undefined) => Promise<P>, next: (page: P) => string | undefined): AsyncGenerator<P> {
    return pages({
      what: `${action} in account ${this.accountId}, region ${this.region}`,
      fetchPage: (token) => this.call(action, () => fetch(token)),
      nextToken: next,
    });
  }

  /** Remembers a record that other records of this scope may point at. */
  remember(kind: string, externalId: string): void {
    this.yielded.add(`${kind}/${externalId}`);
  }

  /**
   * A relation to `kind/externalId` when this scope has yielded that record, else none: the engine
   * links only to objects it has, and a target may be missing for good reasons (a subnet shared from
   * another account is that account's; a kind the policy denies was not read).
   */
  relationTo(kind: string, externalId: string | undefined): RecordRelation[] {
    return externalId !== undefined && this.yielded.has(`${kind}/${externalId}`) ? [{ type: DEPENDS, kind, externalId }] : [];
  }

  /** ARN of an EC2 resource of this scope (VPCs and instances have none in their API answers). */
  ec2Arn(type: 'instance' | 'vpc' | 'subnet', id: string): string {
    return `arn:aws:ec2:${this.region}:${this.accountId}:${type}/${id}`;
  }
}
