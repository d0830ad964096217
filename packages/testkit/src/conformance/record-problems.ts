import { isDeepStrictEqual } from 'node:util';
import type { KindSpec, ReadItem } from '@elder-sync/connector-sdk';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** Survives the state file and the plan file unchanged (no Date, undefined, NaN, bigint, class instance). */
function jsonSafe(value: unknown): boolean {
  try {
    return isDeepStrictEqual(JSON.parse(JSON.stringify(value)), value);
  } catch {
    return false;
  }
}

/**
 * What is wrong with one item a read yielded, as `path: problem` lines (empty when it is fine).
 * These are the promises the core relies on when it maps records to Elder.
 */
export function itemProblems(item: ReadItem, kinds: Record<string, KindSpec>, at: string): string[] {
  const problems: string[] = [];
  const declared = (kind: unknown) => typeof kind === 'string' && Object.hasOwn(kinds, kind);
  switch (item.type) {
    case 'record': {
      const r = item.record as unknown as Record<string, unknown>;
      const where = `${at} (${String(r['kind'])}/${String(r['externalId'])})`;
      if (!declared(r['kind'])) problems.push(`${where}: kind ${JSON.stringify(r['kind'])} is not one of the declared kinds (${Object.keys(kinds).join(', ')})`);
      if (!nonEmpty(r['externalId'])) problems.push(`${where}: externalId must be a non-empty string (the source's immutable id)`);
      if (typeof r['name'] !== 'string') problems.push(`${where}: name must be a string`);
      if (!isPlainObject(r['attributes'])) problems.push(`${where}: attributes must be a plain object`);
      else if (!jsonSafe(r['attributes'])) problems.push(`${where}: attributes must be JSON values only (no Date, undefined, NaN, bigint or class instances)`);
      const path = r['organizationPath'];
      if (path !== undefined && !(Array.isArray(path) && path.every(nonEmpty))) problems.push(`${where}: organizationPath must be an array of non-empty names`);
      if (r['parentKind'] !== undefined && !declared(r['parentKind'])) problems.push(`${where}: parentKind ${JSON.stringify(r['parentKind'])} is not a declared kind`);
      if (r['parentExternalId'] !== undefined && !nonEmpty(r['parentExternalId'])) problems.push(`${where}: parentExternalId must be a non-empty string`);
      const tags = r['tags'];
      if (tags !== undefined && !(Array.isArray(tags) && tags.every(nonEmpty))) problems.push(`${where}: tags must be an array of non-empty strings`);
      const relations = r['relations'];
      if (relations !== undefined) {
        if (!Array.isArray(relations)) problems.push(`${where}: relations must be an array`);
        else
          relations.forEach((rel: unknown, i) => {
            const x = (rel ?? {}) as Record<string, unknown>;
            if (!nonEmpty(x['type'])) problems.push(`${where}: relations[${i}].type must be a non-empty string (e.g. member_of)`);
            if (!declared(x['kind'])) problems.push(`${where}: relations[${i}].kind ${JSON.stringify(x['kind'])} is not a declared kind`);
            if (!nonEmpty(x['externalId'])) problems.push(`${where}: relations[${i}].externalId must be a non-empty string`);
          });
      }
      break;
    }
    case 'deleted':
      if (!declared(item.kind)) problems.push(`${at}: deleted item of undeclared kind ${JSON.stringify(item.kind)}`);
      if (!nonEmpty(item.externalId)) problems.push(`${at}: deleted item needs a non-empty externalId`);
      break;
    case 'checkpoint':
      if (!jsonSafe(item.cursor)) problems.push(`${at}: a checkpoint cursor must be a JSON value (it is stored as JSON)`);
      break;
    case 'incomplete':
      if (!declared(item.kind)) problems.push(`${at}: incomplete item of undeclared kind ${JSON.stringify(item.kind)}`);
      if (!nonEmpty(item.reason)) problems.push(`${at}: an incomplete item needs a reason`);
      break;
    default:
      problems.push(`${at}: unknown item type ${JSON.stringify((item as { type?: unknown }).type)} (record, deleted, checkpoint or incomplete)`);
  }
  return problems;
}
