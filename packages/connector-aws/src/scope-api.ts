import { PermissionDeniedError, pages, type Logger, type RecordRelation } from '@elder-sync/connector-sdk';
import type { AwsService } from './config.js';
import { DEPENDS, tagMap, type RecordScope } from './mapping.js';
import { closePool, sdk, type AwsRuntime, type ClientConfig, type ClientFamily, type ClientPool, type Endpoints, type ModuleOf, type Session } from './runtime.js';

/** ARNs one GetResources call takes at most (the API's limit). */
const ARNS_PER_TAG_CALL = 100;

/**
 * Whether the tagging API is where the user sends requests: endpoints set per service (private VPC
 * endpoints, a test server) without one for it mean its public endpoint may be out of reach, so
 * tags then come from the services' own endpoints. AWS_ENDPOINT_URL covers every service.
 */
export function taggingReachable(configured: Endpoints, env: NodeJS.ProcessEnv = process.env): boolean {
  if (configured.tagging || env.AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API) return true;
  if (Object.values(configured).some(Boolean)) return false;
  return Boolean(env.AWS_ENDPOINT_URL) || !Object.keys(env).some((k) => k.startsWith('AWS_ENDPOINT_URL_') && env[k]);
}

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

  /**
   * The AWS tags of a page of resources of `region`, by ARN (none: an empty map). One Resource Groups
   * Tagging API call (`tag:GetResources`) per 100 ARNs instead of one call per resource: for a region's
   * 1 000 Lambda functions 20 calls, not 1 000. An account that denies tag:GetResources (a policy
   * from before it was needed, an SCP) is read with the service's own call per resource
   * (`perResource`) for the rest of the run, after one warning.
   */
  async tagsOf(
    arns: readonly string[],
    perResource: (arn: string) => Promise<Record<string, string>>,
    region = this.region,
  ): Promise<Map<string, Record<string, string>>> {
    if (arns.length === 0) return new Map();
    const denied = this.runtime.taggingDenied;
    if (taggingReachable(this.session.endpoints) && !denied.has(this.accountId)) {
      try {
        return await this.taggedResources(arns, region);
      } catch (error) {
        if (!(error instanceof PermissionDeniedError)) throw error;
        if (!denied.has(this.accountId)) {
          denied.add(this.accountId);
          this.log.warn('tag:GetResources denied: reading tags with one call per resource (grant tag:GetResources for far fewer calls)', {
            account: this.accountId,
            region,
          });
        }
      }
    }
    const tags = await Promise.all(arns.map(perResource));
    return new Map(arns.map((arn, i) => [arn, tags[i]!]));
  }

  private async taggedResources(arns: readonly string[], region: string): Promise<Map<string, Record<string, string>>> {
    const client = await this.client('tagging', (m, c) => new m.ResourceGroupsTaggingAPIClient(c), region);
    const { GetResourcesCommand } = await sdk('tagging');
    const chunks: string[][] = [];
    for (let i = 0; i < arns.length; i += ARNS_PER_TAG_CALL) chunks.push(arns.slice(i, i + ARNS_PER_TAG_CALL));
    const answers = await Promise.all(
      chunks.map((chunk) => this.call('tag:GetResources', () => client.send(new GetResourcesCommand({ ResourceARNList: chunk })), region)),
    );
    // A resource without tags is absent from the answer.
    const tags = new Map(arns.map((arn): [string, Record<string, string>] => [arn, {}]));
    for (const answer of answers) {
      for (const m of answer.ResourceTagMappingList ?? []) if (m.ResourceARN && tags.has(m.ResourceARN)) tags.set(m.ResourceARN, tagMap(m.Tags));
    }
    return tags;
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
