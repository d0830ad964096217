import type { SourceRecord } from '@elder-sync/connector-sdk';
import { attributes, elderTags, iso, orgPath, tagMap } from '../mapping.js';
import type { ScopeApi } from '../scope-api.js';

const BUCKET_ARN = 'arn:aws:s3:::';
const arnOf = (bucket: string) => `${BUCKET_ARN}${bucket}`;

/**
 * S3 buckets of the account (the `<account>/global` scope). ListBuckets pages with max-buckets and
 * says each bucket's region; tags come a page at a time from the tagging API of that region
 * (`ScopeApi.tagsOf`), else from GetBucketTagging per bucket (NoSuchTagSet = no tags).
 */
export async function* readBuckets(api: ScopeApi): AsyncGenerator<SourceRecord> {
  const home = api.runtime.homeRegion;
  const s3 = await api.client('s3', (m, c) => new m.S3Client(c), home);
  const { ListBucketsCommand, GetBucketTaggingCommand } = await import('@aws-sdk/client-s3');
  const pages = api.pages(
    's3:ListAllMyBuckets',
    (token) => s3.send(new ListBucketsCommand({ MaxBuckets: 1000, ...(token ? { ContinuationToken: token } : {}) })),
    (p) => p.ContinuationToken,
  );
  const noTags = (error: unknown) => (error as { cause?: { name?: string } })?.cause?.name === 'NoSuchTagSet';
  for await (const page of pages) {
    const buckets = (page.Buckets ?? []).filter((b) => b.Name);
    // Each region's tagging API answers for the buckets that live there.
    const byRegion = new Map<string, string[]>();
    for (const b of buckets) {
      const region = b.BucketRegion || home;
      const arns = byRegion.get(region) ?? [];
      arns.push(arnOf(b.Name!));
      byRegion.set(region, arns);
    }
    const tagsOf = new Map<string, Record<string, string>>();
    await Promise.all(
      [...byRegion].map(async ([region, arns]) => {
        const found = await api.tagsOf(
          arns,
          async (arn) => {
            const client = await api.client('s3', (m, c) => new m.S3Client(c), region);
            try {
              const out = await api.call('s3:GetBucketTagging', () => client.send(new GetBucketTaggingCommand({ Bucket: arn.slice(BUCKET_ARN.length) })), region);
              return tagMap(out.TagSet);
            } catch (error) {
              if (noTags(error)) return {};
              throw error;
            }
          },
          region,
        );
        for (const [arn, tags] of found) tagsOf.set(arn, tags);
      }),
    );
    for (const b of buckets) {
      const arn = arnOf(b.Name!);
      const tags = tagsOf.get(arn)!;
      yield {
        kind: 's3_bucket',
        externalId: arn,
        name: `S3: ${b.Name}`,
        attributes: attributes(api, arn, tags, {
          bucket_name: b.Name,
          region: b.BucketRegion ?? null,
          creation_date: iso(b.CreationDate),
        }),
        organizationPath: orgPath(api),
        tags: elderTags('s3', b.BucketRegion || 'global', tags),
      };
    }
  }
}
