import { pages, type Logger } from '@elder-sync/connector-sdk';
import type { AwsService } from './config.js';
import type { RecordScope } from './mapping.js';
import type { AwsRuntime, ClientConfig, ClientFamily, ModuleOf, Session } from './runtime.js';

/** What a service reader gets: the scope, and calls that go through the limiter. */
export class ScopeApi implements RecordScope {
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
    return this.runtime.client(family, this.session, region, make);
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

  /** ARN of an EC2 resource of this scope (VPCs and instances have none in their API answers). */
  ec2Arn(type: 'instance' | 'vpc' | 'subnet', id: string): string {
    return `arn:aws:ec2:${this.region}:${this.accountId}:${type}/${id}`;
  }
}
