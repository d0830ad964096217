import type { JsonObject, SourceRecord } from '@elder-sync/connector-sdk';

/** Elder dependency type of every AWS relation (one of the types Elder's web UI knows). */
export const DEPENDS = 'depends';

/** What every record of a scope shares. */
export interface RecordScope {
  accountId: string;
  /** The account's label, its organization's name in Elder. */
  accountLabel: string;
  region: string;
}

/** AWS tag lists (`[{Key, Value}]`, EC2's `[{Key, Value}]`, S3's `TagSet`) as a map sorted by key. */
export function tagMap(tags: ReadonlyArray<{ Key?: string | undefined; Value?: string | undefined }> | Record<string, string> | undefined): Record<string, string> {
  const entries: [string, string][] = Array.isArray(tags)
    ? tags.flatMap((t) => (t.Key === undefined ? [] : [[t.Key, t.Value ?? ''] as [string, string]]))
    : Object.entries(tags ?? {});
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

/**
 * Elder tags of a resource: `aws`, the service, the region, and each AWS tag as `key:value` (`key`
 * alone when the value is empty). Tags AWS manages itself (`aws:` prefix: CloudFormation stack ids,
 * autoscaling group names) stay in the `aws_tags` attribute only; they are noise as labels. Sorted.
 */
export function elderTags(service: string, region: string, tags: Record<string, string>): string[] {
  const out = new Set<string>(['aws', service, region]);
  for (const [key, value] of Object.entries(tags)) {
    if (key.toLowerCase().startsWith('aws:')) continue;
    out.add(value === '' ? key : `${key}:${value}`);
  }
  return [...out].sort();
}

/** The `Name` tag, else the id: what the AWS console shows. */
export function displayName(tags: Record<string, string>, id: string): string {
  const name = tags.Name?.trim();
  return name ? name : id;
}

/** Attributes every record carries, then the kind's own (absent values as null, so a removed value is cleared). */
export function attributes(scope: RecordScope, arn: string, tags: Record<string, string>, own: Record<string, unknown>): JsonObject {
  const out: JsonObject = {
    provider: 'aws',
    account_id: scope.accountId,
    region: scope.region,
    arn,
  };
  for (const [k, v] of Object.entries(own)) out[k] = v === undefined ? null : (v as JsonObject[string]);
  out.aws_tags = tags;
  return out;
}

export function orgPath(scope: RecordScope): string[] {
  return scope.region === 'global' ? [scope.accountLabel] : [scope.accountLabel, scope.region];
}

export function iso(date: Date | string | undefined): string | null {
  if (date === undefined) return null;
  const d = date instanceof Date ? date : new Date(date);
  return Number.isNaN(d.getTime()) ? String(date) : d.toISOString();
}

export type AwsRecord = SourceRecord;
