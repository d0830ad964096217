import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { googleAuthOptionsOf, googleCredentialsSchema, googleEndpointsSchema, rootUrlOf } from './options.js';

describe('googleEndpointsSchema', () => {
  const endpoints = googleEndpointsSchema(['compute', 'storage']);

  it('takes token, iamcredentials and the named APIs, all optional', () => {
    expect(endpoints.parse(undefined)).toBeUndefined();
    expect(endpoints.parse({ token: 'http://127.0.0.1:1/token', compute: 'https://compute.p.googleapis.com/' })).toEqual({
      token: 'http://127.0.0.1:1/token',
      compute: 'https://compute.p.googleapis.com/',
    });
  });

  it('refuses a typo instead of silently using the public endpoint', () => {
    const result = endpoints.safeParse({ comptue: 'https://x/' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['comptue'] });
  });

  it('refuses what is not an http(s) URL, and URLs carrying credentials', () => {
    expect(endpoints.safeParse({ storage: 'storage.googleapis.com' }).error?.issues[0]?.message).toContain('must be an http(s) URL');
    expect(endpoints.safeParse({ token: 'https://user:pw@example.test/token' }).success).toBe(false);
  });
});

it('marks credentials secret, so the config schema renders it write-only', () => {
  const schema = z.object({ credentials: googleCredentialsSchema.optional() });
  expect(z.toJSONSchema(schema, { io: 'input' }).properties?.credentials).toMatchObject({ writeOnly: true });
});

it('googleAuthOptionsOf takes the auth keys and endpoint overrides of a connector config', () => {
  expect(
    googleAuthOptionsOf(
      { credentials: '{}', impersonate: 'r@p.iam.gserviceaccount.com', endpoints: { token: 'http://t/token', iamcredentials: 'http://i', compute: 'http://c' } },
      ['s'],
    ),
  ).toEqual({ scopes: ['s'], credentials: '{}', impersonate: 'r@p.iam.gserviceaccount.com', tokenUrl: 'http://t/token', iamCredentialsUrl: 'http://i' });
  expect(googleAuthOptionsOf({}, ['s'])).toEqual({ scopes: ['s'] });
});

it('rootUrlOf gives googleapis the trailing slash it needs', () => {
  expect(rootUrlOf('http://127.0.0.1:9')).toBe('http://127.0.0.1:9/');
  expect(rootUrlOf('https://compute.googleapis.com/')).toBe('https://compute.googleapis.com/');
});
