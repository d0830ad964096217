/**
 * One registry of secret values for the whole process. Config loading fills it (values read from
 * `${ENV}` or `${file:...}`, and every field a schema marks secret); everything that prints, logs
 * or stores text passes it through `redact`.
 */
const secretValues = new Set<string>();
let pattern: RegExp | null = null;

export const REDACTED = '[REDACTED]';
/** How plans and config displays show a value that is secret (DESIGN §5.3). */
export const SENSITIVE = '(sensitive)';

/** Values shorter than this are not treated as secrets: redacting "1" or "true" would mangle output. */
const MIN_SECRET_LENGTH = 4;

export function registerSecret(value: unknown): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
  if (secretValues.has(value)) return;
  secretValues.add(value);
  pattern = null;
}

export function redact(text: string): string {
  if (secretValues.size === 0) return text;
  if (pattern === null) {
    const alternatives = [...secretValues]
      .sort((a, b) => b.length - a.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    pattern = new RegExp(alternatives.join('|'), 'g');
  }
  return text.replace(pattern, REDACTED);
}

/** For tests: forget every registered secret. */
export function clearSecrets(): void {
  secretValues.clear();
  pattern = null;
}
