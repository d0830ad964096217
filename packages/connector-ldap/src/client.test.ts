import type { Entry } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { toEntry } from './client.js';

describe('toEntry', () => {
  it('lower-cases names, makes every value a list, turns bytes into hex and drops empty echoes', () => {
    const guid = Buffer.from('a1b2c3d4e5f60718293a4b5c6d7e8f90', 'hex');
    const raw = {
      dn: 'CN=Jane,CN=Users,DC=corp,DC=example',
      objectGUID: guid,
      sAMAccountName: 'jdoe',
      memberOf: ['CN=A,DC=corp,DC=example', 'CN=B,DC=corp,DC=example'],
      thumbnails: [Buffer.from([1, 2]), Buffer.from([255])],
      mail: [],
    } as unknown as Entry;
    expect(toEntry(raw)).toEqual({
      dn: 'CN=Jane,CN=Users,DC=corp,DC=example',
      attrs: {
        objectguid: ['a1b2c3d4e5f60718293a4b5c6d7e8f90'],
        samaccountname: ['jdoe'],
        memberof: ['CN=A,DC=corp,DC=example', 'CN=B,DC=corp,DC=example'],
        thumbnails: ['0102', 'ff'],
      },
    });
  });

  it('keeps the last of two spellings of one name, as the server sent them', () => {
    const raw = { dn: 'uid=a,dc=x', entryUUID: 'first', entryuuid: ['second'] } as unknown as Entry;
    expect(toEntry(raw).attrs).toEqual({ entryuuid: ['second'] });
  });
});
