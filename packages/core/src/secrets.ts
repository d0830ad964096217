/**
 * One registry of secret values for the whole process. Config loading fills it (values read from
 * `${ENV}` or `${file:...}`, and every field a schema marks secret); everything that prints, logs
 * or stores text passes it through `redact`.
 *
 * Where a secret is hidden:
 * - a long secret (LONG_SECRET_LENGTH or more: tokens, generated passwords) wherever it occurs,
 *   even glued to other text (`Bearer<token>`, inside base64-ish runs);
 * - a short one (a human password such as "reader") only where it stands as a token of its own,
 *   not inside a longer word: "latest" does not lose its "test". Any other character next to it
 *   (quote, space, `=`, `:`, `@`, `,`, `&`, end of text) still counts as a boundary, so
 *   `password=reader&`, `"reader"` and `u:reader@host` are hidden;
 * - never inside a public name of the configuration (a distinguished name such as the bind DN
 *   `cn=reader,dc=example,dc=com`) when a short secret merely happens to be one of its parts:
 *   the DN is printed verbatim in plans and checks, and hiding part of it says nothing useful
 *   while mangling the name. Only DN-shaped values are public names: a URL, whose userinfo may
 *   hold the password itself, never is.
 */
const secretValues = new Set<string>();
const publicNames = new Set<string>();
let pattern: RegExp | null = null;

export const REDACTED = '[REDACTED]';
/** How plans and config displays show a value that is secret (DESIGN §5.3). */
export const SENSITIVE = '(sensitive)';

/** Values shorter than this are not treated as secrets: redacting "1" or "true" would mangle output. */
const MIN_SECRET_LENGTH = 4;
/** From this length a secret is hidden wherever it occurs, not only as a token of its own. */
export const LONG_SECRET_LENGTH = 12;

/** Letters and digits: what makes a short secret part of a longer word rather than a token. */
const WORD = '[\\p{L}\\p{N}]';
/** An RDN sequence: `cn=reader,ou=People,dc=example,dc=com` (RFC 4514, loosely). */
const DN_SHAPE = /^[A-Za-z][\w.-]*=[^=,]+(?:,\s*[A-Za-z][\w.-]*=[^=,]+)+$/;

export function registerSecret(value: unknown): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
  if (secretValues.has(value)) return;
  secretValues.add(value);
  pattern = null;
}

/**
 * A non-secret name from the configuration (the LDAP bind or base DN) that is printed as it is,
 * even where a short secret occurs inside it. Only DN-shaped values are accepted; others are ignored.
 */
export function registerPublicName(value: unknown): void {
  if (typeof value !== 'string' || !DN_SHAPE.test(value) || publicNames.has(value)) return;
  publicNames.add(value);
  pattern = null;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function redact(text: string): string {
  if (secretValues.size === 0) return text;
  if (pattern === null) pattern = buildPattern();
  return text.replace(pattern, (match) => (publicNames.has(match) ? match : REDACTED));
}

function buildPattern(): RegExp {
  const secrets = [...secretValues].sort((a, b) => b.length - a.length);
  const shortSecrets = secrets.filter((s) => s.length < LONG_SECRET_LENGTH);
  // Public names that hold a short secret are matched first (alternation order, longest first),
  // so the scan consumes them whole and the replacer gives them back unchanged. A long secret
  // inside a public name is still hidden: such a name is not an accident.
  const names = [...publicNames]
    .filter((n) => shortSecrets.some((s) => n.includes(s)) && !secrets.some((s) => s.length >= LONG_SECRET_LENGTH && n.includes(s)))
    .sort((a, b) => b.length - a.length);
  const alternatives = [
    ...names.map(escape),
    ...secrets.map((s) => (s.length >= LONG_SECRET_LENGTH ? escape(s) : `(?<!${WORD})${escape(s)}(?!${WORD})`)),
  ];
  return new RegExp(alternatives.join('|'), 'gu');
}

/** For tests: forget every registered secret and public name. */
export function clearSecrets(): void {
  secretValues.clear();
  publicNames.clear();
  pattern = null;
}
