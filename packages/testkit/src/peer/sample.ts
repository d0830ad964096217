import { start389Ds } from '../ds389/launcher.js';
import { SAMPLE_AD_LDIF, startSambaAd } from '../samba-ad/launcher.js';
import { SAMPLE_LDIF, startSlapd } from '../slapd/launcher.js';
import type { DirectoryPeer } from './directory.js';

/** The directory servers the testkit can start, for tests that run one scenario on each. */
export const DIRECTORY_VENDORS = ['openldap', 'samba-ad', '389ds'] as const;
export type DirectoryVendor = (typeof DIRECTORY_VENDORS)[number];

export interface SampleDirectoryOptions {
  /** OpenLDAP: the memberof overlay (default on). 389-DS: the memberOf plugin (default off, as 389 ships). Ignored by AD, which always has it. */
  memberOf?: boolean;
}

/** The sample's people: login name, full name (AD's RDN) and OU path below `ou=Corp`. */
const PEOPLE: Record<string, { cn: string; ous: string[] }> = {
  alice: { cn: 'Alice Archer', ous: ['People', 'Engineering'] },
  bob: { cn: 'Bob Baker', ous: ['People', 'Engineering'] },
  carol: { cn: 'Carol Chen', ous: ['People', 'Engineering', 'Platform'] },
  dave: { cn: 'Dave Dawson', ous: ['People', 'Engineering', 'Platform'] },
  erin: { cn: 'Erin Evans', ous: ['People', 'Sales'] },
  frank: { cn: 'Frank Foster', ous: ['People', 'Sales'] },
  grace: { cn: 'Grace Garcia', ous: ['People', 'Sales'] },
  heidi: { cn: 'Heidi Hughes', ous: ['People', 'Finance'] },
  ivan: { cn: 'Iván Núñez', ous: ['People', 'Finance'] },
  judy: { cn: 'Judy Jones', ous: ['People', 'Former'] },
};

/**
 * Starts `vendor` loaded with the sample directory (8 OUs below and including `ou=Corp`, 10 people,
 * 4 groups, one nested): `SAMPLE_LDIF` on OpenLDAP and 389-DS, `SAMPLE_AD_LDIF` on Samba AD. judy
 * (who left) is a disabled account where the directory has the notion: AD's userAccountControl,
 * 389's nsAccountLock.
 */
export async function startSampleDirectory(vendor: DirectoryVendor, options: SampleDirectoryOptions = {}): Promise<DirectoryPeer> {
  // A size limit below the number of people: only paged searches can return them all.
  if (vendor === 'openldap') return startSlapd({ ldif: [SAMPLE_LDIF], memberOf: options.memberOf ?? true, sizeLimit: 5 });
  if (vendor === 'samba-ad') return startSambaAd({ ldif: [SAMPLE_AD_LDIF] });
  const peer = await start389Ds({ ldif: [SAMPLE_LDIF], memberOf: options.memberOf ?? false });
  await peer.modify(`dn: ${sampleUserDn(peer, 'judy')}\nchangetype: modify\nreplace: nsAccountLock\nnsAccountLock: true\n`);
  return peer;
}

/** `ou=Corp,<suffix>`: the sample's top OU, a base DN that holds the sample and nothing of the server's own (AD's CN=Users, ...). */
export function sampleBaseDn(peer: Pick<DirectoryPeer, 'baseDn'>): string {
  return `ou=Corp,${peer.baseDn}`;
}

/** The DN of a sample person (`bob`, ...) as loaded into `peer`: `uid=` on OpenLDAP and 389-DS, `CN=<full name>` on AD. */
export function sampleUserDn(peer: Pick<DirectoryPeer, 'vendor' | 'baseDn'>, uid: string): string {
  const person = PEOPLE[uid];
  if (!person) throw new RangeError(`sampleUserDn: no sample person "${uid}"`);
  const rdn = peer.vendor === 'samba-ad' ? `CN=${person.cn}` : `uid=${uid}`;
  return [rdn, ...[...person.ous].reverse().map((ou) => `ou=${ou}`), `ou=Corp`, peer.baseDn].join(',');
}
