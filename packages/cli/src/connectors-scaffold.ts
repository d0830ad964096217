import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Lower-case letters, digits and dashes: what core accepts as a connector id. */
export const CONNECTOR_ID = /^[a-z][a-z0-9-]*$/;

export interface ScaffoldOptions {
  /** The connector id (`id` in the connector and the key of its package.json block). */
  id: string;
  /** npm package name; default `elder-sync-connector-<id>`. */
  packageName: string;
  /** npm specs of the elder-sync packages the new package depends on (core: only through the testkit, for tests). */
  sdkSpec: string;
  coreSpec: string;
  testkitSpec: string;
}

export class ScaffoldError extends Error {
  override readonly name = 'ScaffoldError';
  /** A usage problem: exit 64. */
  readonly exitCode = 64;
  constructor(
    readonly code: 'SCAFFOLD_BAD_ID' | 'SCAFFOLD_DIR_NOT_EMPTY' | 'SCAFFOLD_BAD_NAME',
    message: string,
  ) {
    super(message);
  }
}

/** Template files whose names npm or git would not carry as they are. */
const RENAMES: Record<string, string> = { 'package.json.tmpl': 'package.json', gitignore: '.gitignore' };

// npm's rules for a package name, enough to catch typos before `npm install` does.
const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/**
 * Copies the connector template into `dir` (which must not exist or be empty), replacing the
 * placeholders. Returns the files written, relative to `dir`, sorted.
 */
export function scaffoldConnector(templateDir: string, dir: string, options: ScaffoldOptions): string[] {
  if (!CONNECTOR_ID.test(options.id)) {
    throw new ScaffoldError('SCAFFOLD_BAD_ID', `connector id "${options.id}" must be lower-case letters, digits and dashes, starting with a letter (e.g. okta, my-cmdb)`);
  }
  if (!PACKAGE_NAME.test(options.packageName) || options.packageName.length > 214) {
    throw new ScaffoldError('SCAFFOLD_BAD_NAME', `"${options.packageName}" is not a valid npm package name`);
  }
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new ScaffoldError('SCAFFOLD_DIR_NOT_EMPTY', `${dir} exists and is not empty; choose another --dir`);
  }
  const replacements: Array<[string, string]> = [
    ['__CONNECTOR_ID__', options.id],
    ['__PACKAGE_NAME__', options.packageName],
    ['__SDK_SPEC__', options.sdkSpec],
    ['__CORE_SPEC__', options.coreSpec],
    ['__TESTKIT_SPEC__', options.testkitSpec],
  ];
  const written: string[] = [];
  const copy = (from: string, to: string) => {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from).sort()) {
      const source = join(from, entry);
      const target = join(to, RENAMES[entry] ?? entry);
      if (statSync(source).isDirectory()) {
        copy(source, target);
        continue;
      }
      let text = readFileSync(source, 'utf8');
      for (const [placeholder, value] of replacements) {
        // JSON-escaped in package.json (a file: path may hold a backslash on Windows).
        text = text.split(placeholder).join(target.endsWith('.json') ? JSON.stringify(value).slice(1, -1) : value);
      }
      writeFileSync(target, text);
      written.push(relative(dir, target));
    }
  };
  copy(templateDir, dir);
  return written.sort();
}
