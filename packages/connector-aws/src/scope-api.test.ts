import { describe, expect, it } from 'vitest';
import { taggingReachable } from './scope-api.js';

describe('taggingReachable: whether tags may come from the tagging API', () => {
  it('yes on AWS\'s own endpoints, and when AWS_ENDPOINT_URL sends every service elsewhere', () => {
    expect(taggingReachable({}, {})).toBe(true);
    expect(taggingReachable({}, { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_ENDPOINT_URL_S3: 'http://s3.local' })).toBe(true);
  });

  it('no when endpoints are set per service but not for it (in the config or the SDK\'s variables)', () => {
    expect(taggingReachable({ lambda: 'https://vpce-1.lambda.eu-west-1.vpce.amazonaws.com' }, {})).toBe(false);
    expect(taggingReachable({}, { AWS_ENDPOINT_URL_LAMBDA: 'https://vpce-1.lambda.eu-west-1.vpce.amazonaws.com' })).toBe(false);
  });

  it('yes when it has an endpoint of its own', () => {
    expect(taggingReachable({ lambda: 'https://a', tagging: 'https://b' }, {})).toBe(true);
    expect(taggingReachable({}, { AWS_ENDPOINT_URL_LAMBDA: 'https://a', AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API: 'https://b' })).toBe(true);
  });
});
