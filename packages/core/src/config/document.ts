import YAML from 'yaml';
import type { ConfigIssue } from '../errors.js';
import { decodeConfigBytes } from './decode.js';
import { formatPath } from './issues.js';
import { parseJsonDocument } from './json-document.js';

/**
 * A configuration file's bytes → a plain JS value, or every problem found on the way: encoding
 * (decode.ts), syntax (JSON by the JSON reader, YAML by `yaml`), every duplicate key, and keys that
 * would reach an object's prototype. Schema validation comes after, on what this returns.
 */

export type DocumentResult = { ok: true; value: unknown } | { ok: false; issues: ConfigIssue[] };

/** Keys that address an object's prototype chain when assigned; never configuration. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function readConfigDocument(input: Uint8Array | string, name: string): DocumentResult {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    const decoded = decodeConfigBytes(input, name);
    if (!decoded.ok) return decoded;
    text = decoded.text;
  }
  const parsed = /\.json$/i.test(name) ? parseJsonText(text, name) : parseYamlText(text, name);
  if (!parsed.ok) return parsed;
  const issues = [...parsed.duplicates];
  const value = withoutPrototypeKeys(parsed.value, [], issues);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value };
}

type Parsed = { ok: true; value: unknown; duplicates: ConfigIssue[] } | { ok: false; issues: ConfigIssue[] };

function parseJsonText(text: string, name: string): Parsed {
  return parseJsonDocument(text.startsWith('\uFEFF') ? text.slice(1) : text, name);
}

function parseYamlText(text: string, name: string): Parsed {
  // `<<` merge keys (YAML 1.1) are on because compose-style files reuse blocks with them.
  // Duplicate keys are found below, by path, rather than by yaml's "Map keys must be unique".
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true });
  const duplicates: ConfigIssue[] = [];
  findYamlDuplicates(doc.contents, [], (key, path, node, first) => {
    const at = lineCounter.linePos(node?.range?.[0] ?? 0);
    const firstAt = lineCounter.linePos(first?.range?.[0] ?? 0);
    duplicates.push({
      path: `${name}:${at.line}:${at.col}`,
      message: `duplicate key ${JSON.stringify(key)} in ${path.length === 0 ? 'the top-level mapping' : formatPath(path)} (first at line ${firstAt.line}); keep only one`,
    });
  });
  if (doc.errors.length > 0) {
    const syntax = doc.errors.map((error) => {
      const at = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
      return { line: at.line, issue: { path: `${name}:${at.line}:${at.col}`, message: `${syntaxMessage(error.message)} (YAML syntax)` } };
    });
    const found = duplicates.map((issue) => ({ line: Number(/:(\d+):\d+$/.exec(issue.path)?.[1] ?? 0), issue }));
    return { ok: false, issues: [...syntax, ...found].sort((a, b) => a.line - b.line).map((x) => x.issue) };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 1000 }), duplicates };
  } catch (error) {
    // Unresolved aliases and alias bombs surface only here.
    return { ok: false, issues: [{ path: name, message: `${syntaxMessage(error instanceof Error ? error.message : String(error))} (YAML syntax)` }] };
  }
}

type Node = { range?: [number, number, number] | null } | null | undefined;

function findYamlDuplicates(
  node: unknown,
  path: Array<string | number>,
  report: (key: string, path: Array<string | number>, at: Node, first: Node) => void,
): void {
  if (YAML.isMap(node)) {
    const seen = new Map<string, Node>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const key = YAML.isScalar(pair.key) ? String(pair.key.value) : null;
      if (key !== null && key !== '<<') {
        const first = seen.get(key);
        if (first !== undefined) report(key, path, keyNode, first);
        else seen.set(key, keyNode);
      }
      findYamlDuplicates(pair.value, key === null ? path : [...path, key], report);
    }
  } else if (YAML.isSeq(node)) {
    node.items.forEach((item, index) => findYamlDuplicates(item, [...path, index], report));
  }
}

/**
 * A copy without `__proto__`, `constructor` and `prototype` keys, each reported under its own name.
 * Copying by assignment (as `${...}` substitution and zod do) would otherwise make `__proto__:` the
 * object's prototype and report what it contains as unknown keys of the parent.
 */
function withoutPrototypeKeys(value: unknown, path: Array<string | number>, issues: ConfigIssue[]): unknown {
  if (Array.isArray(value)) return value.map((item, index) => withoutPrototypeKeys(item, [...path, index], issues));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (PROTOTYPE_KEYS.has(key)) {
      issues.push({
        path: formatPath([...path, key]),
        message: `"${key}" is not a configuration key (it names a JavaScript prototype and is never read); remove it`,
      });
      continue;
    }
    out[key] = withoutPrototypeKeys((value as Record<string, unknown>)[key], [...path, key], issues);
  }
  return out;
}

function syntaxMessage(message: string): string {
  // The yaml library appends " at line N, column M:" and a code frame; the location is in the path already.
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?\s*$/, '');
}
