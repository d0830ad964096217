// Test support (not built). The invariant the reliability suite checks after every converged run:
// Elder holds exactly what the source holds — no more, no less, no twice.
import type { ElderEmulator } from '@elder-sync/testkit';
import { isJsonObject, type JsonObject } from '../json.js';
import { STAMP_ATTRIBUTE, entityKey, truncateName } from '../sync/projection.js';
import type { ModelSource } from './model-source.js';

type Row = Record<string, unknown>;

export interface InvariantOptions {
  /** The source's name in the config (the key prefix). */
  source: string;
  /** The root organization path (`elder.organization.path`). */
  root: string[];
}

function stampOf(entity: Row): { key: string; source: string } | null {
  const attrs = entity['metadata'] ?? entity['attributes'];
  if (!isJsonObject(attrs)) return null;
  const stamp = attrs[STAMP_ATTRIBUTE];
  if (!isJsonObject(stamp) || typeof stamp.key !== 'string' || typeof stamp.source !== 'string') return null;
  return { key: stamp.key, source: stamp.source };
}

/** Entities without a stamp anywhere below the root: a partial write (created, never stamped). */
export function unstampedEntities(emulator: ElderEmulator): Row[] {
  return emulator.entities().filter((e) => stampOf(e) === null);
}

/** Keys held by more than one Elder entity. */
export function duplicateKeys(emulator: ElderEmulator): string[] {
  const seen = new Map<string, number>();
  for (const e of emulator.entities()) {
    const stamp = stampOf(e);
    if (stamp) seen.set(stamp.key, (seen.get(stamp.key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
}

/**
 * Every difference between what Elder holds and what `model` holds, as readable lines (empty when
 * they agree): entity set, names, types, owned attributes and tags, organization placement,
 * member_of dependencies, OU organizations, duplicates, unstamped entities, duplicate org names.
 */
export function differences(emulator: ElderEmulator, model: ModelSource, options: InvariantOptions): string[] {
  const problems: string[] = [];
  const orgs = new Map(emulator.organizations().map((o) => [o['id'] as number, o]));
  const pathOf = (id: number): string[] | null => {
    const names: string[] = [];
    let current = orgs.get(id);
    while (current) {
      names.unshift(current['name'] as string);
      current = current['parent_id'] == null ? undefined : orgs.get(current['parent_id'] as number);
    }
    const root = options.root;
    if (names.length < root.length || root.some((n, i) => names[i] !== n)) return null;
    return names.slice(root.length);
  };

  const orgSiblings = new Map<string, number>();
  for (const o of orgs.values()) {
    const k = `${String(o['parent_id'])}/${String(o['name'])}`;
    orgSiblings.set(k, (orgSiblings.get(k) ?? 0) + 1);
  }
  for (const [k, n] of orgSiblings) if (n > 1) problems.push(`organization ${k} exists ${n} times`);

  const entities = emulator.entities();
  const byKey = new Map<string, Row>();
  const idToKey = new Map<number, string>();
  for (const e of entities) {
    const stamp = stampOf(e);
    if (!stamp) {
      problems.push(`entity #${String(e['id'])} "${String(e['name'])}" has no ${STAMP_ATTRIBUTE} stamp (partial write)`);
      continue;
    }
    if (stamp.source !== options.source) continue;
    if (byKey.has(stamp.key)) problems.push(`key ${stamp.key} is held by #${String(byKey.get(stamp.key)!['id'])} and #${String(e['id'])}`);
    byKey.set(stamp.key, e);
    idToKey.set(e['id'] as number, stamp.key);
  }

  const expectedKeys = new Set<string>();
  for (const record of model.records()) {
    if (record.kind === 'ou') {
      const path = [...(record.organizationPath ?? []), record.name];
      const found = [...orgs.values()].some((o) => {
        const p = pathOf(o['id'] as number);
        return p !== null && p.join('/') === path.join('/');
      });
      if (!found) problems.push(`organization ${path.join('/')} is missing`);
      continue;
    }
    const key = entityKey(options.source, record.kind, record.externalId);
    expectedKeys.add(key);
    const e = byKey.get(key);
    if (!e) {
      problems.push(`${key} is missing from Elder`);
      continue;
    }
    const want = truncateName(record.name);
    if (e['name'] !== want) problems.push(`${key}: name ${JSON.stringify(e['name'])}, want ${JSON.stringify(want)}`);
    const subType = record.kind === 'user' ? 'person' : 'group';
    if (e['type'] !== 'user' || e['sub_type'] !== subType) problems.push(`${key}: type ${String(e['type'])}/${String(e['sub_type'])}`);
    const path = pathOf(e['organization_id'] as number);
    const wantPath = (record.organizationPath ?? []).join('/');
    if (path === null || path.join('/') !== wantPath) problems.push(`${key}: in ${path?.join('/') ?? '(outside the root)'}, want ${wantPath}`);
    const attrs = (e['metadata'] ?? {}) as JsonObject;
    for (const [k, v] of Object.entries(record.attributes)) {
      if (JSON.stringify(attrs[k] ?? null) !== JSON.stringify(v ?? null)) problems.push(`${key}: attribute ${k} = ${JSON.stringify(attrs[k])}, want ${JSON.stringify(v)}`);
    }
    for (const tag of record.tags ?? []) if (!(e['tags'] as string[] | null)?.includes(tag)) problems.push(`${key}: tag ${tag} missing`);
  }
  for (const key of byKey.keys()) if (!expectedKeys.has(key)) problems.push(`${key} is in Elder but not in the source`);

  // member_of dependencies between owned entities, as key pairs.
  const actual = new Set<string>();
  for (const d of emulator.dependencies()) {
    const from = idToKey.get(d['source_id'] as number);
    const to = idToKey.get(d['target_id'] as number);
    if (!from || !to) continue;
    const edge = `${from} -${String(d['dependency_type'])}-> ${to}`;
    if (actual.has(edge)) problems.push(`dependency ${edge} exists twice`);
    actual.add(edge);
  }
  const expected = new Set<string>();
  for (const record of model.records()) {
    for (const r of record.relations ?? []) {
      expected.add(`${entityKey(options.source, record.kind, record.externalId)} -${r.type}-> ${entityKey(options.source, r.kind, r.externalId)}`);
    }
  }
  for (const edge of expected) if (!actual.has(edge)) problems.push(`dependency ${edge} is missing`);
  for (const edge of actual) if (!expected.has(edge)) problems.push(`dependency ${edge} should not exist`);
  return problems;
}
