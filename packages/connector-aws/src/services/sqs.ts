import type { SourceRecord } from '@elder-sync/connector-sdk';
import { attributes, elderTags, orgPath, tagMap } from '../mapping.js';
import type { ScopeApi } from '../scope-api.js';

/**
 * SQS queues: ListQueues (it pages only when MaxResults is given), then per queue its attributes,
 * then the page's tags (`ScopeApi.tagsOf`). A queue deleted between the listing and those calls is skipped.
 */
export async function* readQueues(api: ScopeApi): AsyncGenerator<SourceRecord> {
  const sqs = await api.client('sqs', (m, c) => new m.SQSClient(c));
  const { ListQueuesCommand, GetQueueAttributesCommand, ListQueueTagsCommand } = await import('@aws-sdk/client-sqs');
  const pages = api.pages(
    'sqs:ListQueues',
    (token) => sqs.send(new ListQueuesCommand({ MaxResults: 1000, ...(token ? { NextToken: token } : {}) })),
    (p) => p.NextToken,
  );
  const gone = (error: unknown) => (error as { cause?: { name?: string } })?.cause?.name === 'QueueDoesNotExist';
  for await (const page of pages) {
    const details = await Promise.all(
      (page.QueueUrls ?? []).map(async (url) => {
        try {
          const attrs = await api.call('sqs:GetQueueAttributes', () => sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })));
          const attributes = attrs.Attributes ?? {};
          const name = url.slice(url.lastIndexOf('/') + 1);
          return { url, name, arn: attributes.QueueArn ?? `arn:aws:sqs:${api.region}:${api.accountId}:${name}`, attributes };
        } catch (error) {
          if (gone(error)) return undefined;
          throw error;
        }
      }),
    );
    const queues = details.filter((d) => d !== undefined);
    const urlOf = new Map(queues.map((q) => [q.arn, q.url]));
    const vanished = new Set<string>();
    const tagsOf = await api.tagsOf(
      queues.map((q) => q.arn),
      async (arn) => {
        try {
          return tagMap((await api.call('sqs:ListQueueTags', () => sqs.send(new ListQueueTagsCommand({ QueueUrl: urlOf.get(arn)! })))).Tags);
        } catch (error) {
          if (!gone(error)) throw error;
          vanished.add(arn);
          return {};
        }
      },
    );
    for (const d of queues) {
      const { name, arn } = d;
      if (vanished.has(arn)) continue;
      const tags = tagsOf.get(arn)!;
      const num = (v: string | undefined) => (v === undefined || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v));
      yield {
        kind: 'sqs_queue',
        externalId: arn,
        name: `SQS: ${name}`,
        attributes: attributes(api, arn, tags, {
          queue_url: d.url,
          queue_name: name,
          queue_arn: arn,
          approximate_messages: num(d.attributes.ApproximateNumberOfMessages),
          retention_seconds: num(d.attributes.MessageRetentionPeriod),
          visibility_timeout: num(d.attributes.VisibilityTimeout),
          is_fifo: d.attributes.FifoQueue === 'true',
          created: num(d.attributes.CreatedTimestamp) === undefined ? undefined : new Date(num(d.attributes.CreatedTimestamp)! * 1000).toISOString(),
        }),
        organizationPath: orgPath(api),
        tags: elderTags('sqs', api.region, tags),
      };
    }
  }
}
