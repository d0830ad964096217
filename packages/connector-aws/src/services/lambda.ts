import type { SourceRecord } from '@elder-sync/connector-sdk';
import { attributes, elderTags, iso, orgPath, tagMap } from '../mapping.js';
import type { ScopeApi } from '../scope-api.js';

/**
 * Lambda functions. ListFunctions carries no tags: they come a page at a time from the tagging API
 * (`ScopeApi.tagsOf`). Environment variables: names only, never values.
 */
export async function* readFunctions(api: ScopeApi): AsyncGenerator<SourceRecord> {
  const lambda = await api.client('lambda', (m, c) => new m.LambdaClient(c));
  const { ListFunctionsCommand, ListTagsCommand } = await import('@aws-sdk/client-lambda');
  const pages = api.pages(
    'lambda:ListFunctions',
    (token) => lambda.send(new ListFunctionsCommand({ MaxItems: 50, ...(token ? { Marker: token } : {}) })),
    (p) => p.NextMarker,
  );
  for await (const page of pages) {
    const functions = (page.Functions ?? []).filter((f) => f.FunctionArn);
    const tagsOf = await api.tagsOf(
      functions.map((f) => f.FunctionArn!),
      async (arn) => tagMap((await api.call('lambda:ListTags', () => lambda.send(new ListTagsCommand({ Resource: arn })))).Tags),
    );
    for (const f of functions) {
      const arn = f.FunctionArn!;
      const tags = tagsOf.get(arn)!;
      const vpcId = f.VpcConfig?.VpcId || undefined;
      yield {
        kind: 'lambda_function',
        externalId: arn,
        name: `Lambda: ${f.FunctionName ?? arn}`,
        attributes: attributes(api, arn, tags, {
          function_name: f.FunctionName,
          function_arn: arn,
          runtime: f.Runtime ?? (f.PackageType === 'Image' ? 'container-image' : undefined),
          handler: f.Handler,
          memory_mb: f.MemorySize,
          timeout_seconds: f.Timeout,
          role_arn: f.Role,
          package_type: f.PackageType,
          architectures: [...(f.Architectures ?? [])].sort(),
          last_modified: iso(f.LastModified),
          vpc_id: vpcId,
          subnet_ids: [...(f.VpcConfig?.SubnetIds ?? [])].sort(),
          layers: (f.Layers ?? []).map((l) => l.Arn ?? '').filter(Boolean).sort(),
          environment_variable_keys: Object.keys(f.Environment?.Variables ?? {}).sort(),
        }),
        organizationPath: orgPath(api),
        tags: elderTags('lambda', api.region, tags),
        relations: api.relationTo('vpc', vpcId ? api.ec2Arn('vpc', vpcId) : undefined),
      };
    }
  }
}
