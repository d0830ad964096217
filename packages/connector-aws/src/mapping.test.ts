import { describe, expect, it } from 'vitest';
import { displayName, elderTags, tagMap } from './mapping.js';

describe('AWS tags', () => {
  it('become a map sorted by key, from either list shape', () => {
    expect(tagMap([{ Key: 'z', Value: '1' }, { Key: 'a', Value: undefined }])).toEqual({ a: '', z: '1' });
    expect(Object.keys(tagMap({ b: '2', a: '1' }))).toEqual(['a', 'b']);
    expect(tagMap(undefined)).toEqual({});
  });

  it('become Elder tags as key:value (key alone when empty) beside aws, the service and the region; aws: tags stay out', () => {
    expect(elderTags('ec2', 'eu-west-1', { team: 'platform', 'aws:autoscaling:groupName': 'asg', 'AWS:x': 'y', flag: '' })).toEqual([
      'aws',
      'ec2',
      'eu-west-1',
      'flag',
      'team:platform',
    ]);
  });

  it('name a resource by its Name tag, else its id', () => {
    expect(displayName({ Name: ' web ' }, 'i-1')).toBe('web');
    expect(displayName({ Name: '  ' }, 'i-1')).toBe('i-1');
  });
});
