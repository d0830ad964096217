import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, prettyLine } from './logger.js';
import { clearSecrets, registerSecret } from './secrets.js';

afterEach(() => clearSecrets());

function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const log = createLogger({ ...options, write: (l) => lines.push(l) });
  return { log, lines };
}

describe('createLogger', () => {
  it('writes one JSON line per call with a level name, an ISO time, the bindings and the message', () => {
    const { log, lines } = capture();
    log.child({ runId: 'r1' }).child({ source: 'corp-ldap', scope: 's1' }).info('scope done', { created: 3 });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'info', runId: 'r1', source: 'corp-ldap', scope: 's1', created: 3, msg: 'scope done' });
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(lines[0]).not.toContain('\n');
  });

  it('drops lines below the level', () => {
    const { log, lines } = capture({ level: 'warn' });
    log.debug('a');
    log.info('b');
    log.warn('c');
    log.error('d');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['c', 'd']);
  });

  it('redacts registered secrets wherever they appear: message, field, binding, nested error', () => {
    registerSecret('hunter2-very-secret');
    const { log, lines } = capture();
    log.child({ url: 'ldap://x?pw=hunter2-very-secret' }).error('bind failed: hunter2-very-secret', {
      error: new Error('bad password hunter2-very-secret'),
      nested: { deep: ['hunter2-very-secret'] },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('hunter2');
    expect(lines[0]).toContain('[REDACTED]');
    // An Error under any key keeps its message (pino alone would print `{}`).
    expect(JSON.parse(lines[0]!).error).toMatchObject({ name: 'Error', message: 'bad password [REDACTED]' });
  });

  it('pretty prints a short human line, also redacted', () => {
    registerSecret('s3cr3t-value');
    const { log, lines } = capture({ format: 'pretty' });
    log.child({ source: 'corp' }).warn('kept s3cr3t-value', { n: 2 });
    expect(lines).toEqual(['WARN  kept [REDACTED]  source=corp n=2']);
  });

  it('prettyLine leaves a non-JSON line as it is', () => {
    expect(prettyLine('plain')).toBe('plain');
  });
});
