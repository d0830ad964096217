import type { SourceRecord } from '@elder-sync/connector-sdk';
import { attributes, elderTags, iso, orgPath, tagMap } from '../mapping.js';
import type { ScopeApi } from '../scope-api.js';

/**
 * S3 buckets of the account (the `<account>/global` scope). ListBuckets pages with max-buckets and
 * says each bucket's region; tags come from GetBucketTagging in that region (NoSuchTagSet = no tags).
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
    const tagsOf = await Promise.all(
      buckets.map(async (b) => {
        const region = b.BucketRegion || home;
        const client = await api.client('s3', (m, c) => new m.S3Client(c), region);
        try {
          const out = await api.call('s3:GetBucketTagging', () => client.send(new GetBucketTaggingCommand({ Bucket: b.Name! })), region);
          return out.TagSet;
        } catch (error) {
          if (noTags(error)) return [];
          throw error;
        }
      }),
    );
    for (const [i, b] of buckets.entries()) {
      const tags = tagMap(tagsOf[i]);
      const arn = `arn:aws:s3:::${b.Name}`;
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
