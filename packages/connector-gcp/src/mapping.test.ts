import { describe, expect, it } from 'vitest';
import { projectMatcher } from './config.js';
import type { ProjectScopeParams } from './discovery.js';
import { labelsOf, mapBucket, mapInstance, mapProject, resourcePath } from './mapping.js';

const project: ProjectScopeParams = {
  projectId: 'web-prod',
  projectNumber: '1001',
  displayName: 'Web',
  path: ['example.test', 'Platform'],
  labels: {},
  parent: 'folders/20',
};

describe('labels → attributes and tags', () => {
  it('keeps the whole map as an attribute and makes key=value tags, a bare key for an empty value, sorted', () => {
    expect(labelsOf({ team: 'web', env: 'prod', pinned: '' })).toEqual({
      labels: { env: 'prod', pinned: '', team: 'web' },
      tags: ['env=prod', 'pinned', 'team=web'],
    });
    expect(labelsOf(undefined)).toEqual({ labels: {}, tags: [] });
  });
});

describe('excludeProjects globs', () => {
  it('match whole project ids with * and ?', () => {
    const excluded = projectMatcher(['sandbox-*', 'tmp-?']);
    expect(['sandbox-alice', 'tmp-1', 'web-prod', 'my-sandbox-x', 'tmp-12'].filter(excluded)).toEqual(['sandbox-alice', 'tmp-1']);
    expect(projectMatcher([])('anything')).toBe(false);
  });
});

it('compares resources by path whichever endpoint or API version named them', () => {
  expect(resourcePath('https://www.googleapis.com/compute/v1/projects/p/regions/r/subnetworks/s')).toBe('projects/p/regions/r/subnetworks/s');
  expect(resourcePath('http://127.0.0.1:9/compute/beta/projects/p/regions/r/subnetworks/s')).toBe('projects/p/regions/r/subnetworks/s');
});

it('keys a project by its number and hangs it below its folder path', () => {
  expect(mapProject(project)).toMatchObject({ kind: 'project', externalId: '1001', name: 'web-prod', organizationPath: ['example.test', 'Platform'] });
});

it('keys a bucket by project number and name, never by name alone', () => {
  expect(mapBucket({ name: 'logs', projectNumber: '1001' }, project)?.externalId).toBe('1001/logs');
  expect(mapBucket({ name: 'logs' }, { ...project, projectNumber: '2002' })?.externalId).toBe('2002/logs');
});

it('links an instance in a legacy network (no subnetworks) to the network itself', () => {
  const index = { networks: new Map([['projects/web-prod/global/networks/legacy', '77']]), subnetworks: new Map<string, string>() };
  const record = mapInstance(
    { id: '5', name: 'old-vm', networkInterfaces: [{ network: 'https://www.googleapis.com/compute/v1/projects/web-prod/global/networks/legacy' }] },
    project,
    index,
  );
  expect(record?.relations).toEqual([{ type: 'member_of', kind: 'network', externalId: '77' }]);
});

it('skips what has no id, rather than keying it by name', () => {
  expect(mapInstance({ name: 'no-id' }, project, { networks: new Map(), subnetworks: new Map() })).toBeUndefined();
});

describe('config', () => {
  it('takes domain-scoped project ids and refuses names and numbers, naming the field', async () => {
    const { gcpConfigSchema } = await import('./config.js');
    expect(gcpConfigSchema.parse({ projects: ['example.com:web-prod', 'web-prod'] }).projects).toEqual(['example.com:web-prod', 'web-prod']);
    const bad = gcpConfigSchema.safeParse({ projects: ['Web Prod', '123456789012'] });
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['projects.0', 'projects.1']);
    expect(gcpConfigSchema.safeParse({}).error?.issues[0]?.message).toContain('give projects (project ids) and/or parents');
    expect(projectMatcher(['example.com:*'])('example.com:web-prod')).toBe(true);
    expect(projectMatcher(['example.com:*'])('exampleXcom:web-prod')).toBe(false);
  });
});
