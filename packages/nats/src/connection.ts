import { readFileSync } from 'node:fs';
import type { Logger, NatsConfig } from '@elder-sync/core';
import { ConfigError, registerSecret } from '@elder-sync/core';
import type { NatsConnection } from '@nats-io/transport-node';

export interface NatsTarget {
  /** A URL from a flag or `state.url`; else the `nats` block's servers. */
  url?: string | undefined;
  config?: NatsConfig | undefined;
  /** Shown to the server (monitoring): `elder-sync worker host-1`. */
  name: string;
}

/**
 * Connects with the `nats` block's credentials and TLS. Credentials written into the URL
 * (`nats://user:pass@host`) are taken out of it and passed as user and password: the v3 client
 * does not read them from the URL itself. Reconnects forever: a restarted server is waited for.
 */
export async function connectNats(target: NatsTarget, log: Logger): Promise<NatsConnection> {
  const { connect, credsAuthenticator } = await import('@nats-io/transport-node');
  const config = target.config;
  const urls = target.url !== undefined ? [target.url] : config ? [config.servers].flat() : [];
  if (urls.length === 0) {
    throw new ConfigError([{ path: 'nats.servers', message: 'no NATS server: give a URL (nats://host:4222) or a nats: { servers: [...] } block' }]);
  }
  let user = config?.user;
  let pass = config?.password;
  const servers = urls.map((url) => {
    const parsed = new URL(url);
    if (parsed.username !== '') {
      user = decodeURIComponent(parsed.username);
      pass = parsed.password === '' ? pass : decodeURIComponent(parsed.password);
      registerSecret(pass);
      parsed.username = '';
      parsed.password = '';
    }
    return `${parsed.protocol}//${parsed.host}`;
  });
  const tls = config?.tls ?? (urls.some((u) => u.startsWith('tls://')) ? {} : undefined);
  const nc = await connect({
    servers,
    name: target.name,
    ...(user !== undefined ? { user } : {}),
    ...(pass !== undefined ? { pass } : {}),
    ...(config?.token !== undefined ? { token: config.token } : {}),
    ...(config?.credsFile !== undefined ? { authenticator: credsAuthenticator(readFileSync(config.credsFile)) } : {}),
    ...(tls ? { tls } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: false,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') log.warn(`NATS ${status.type}`, { server: 'server' in status ? status.server : undefined });
    }
  })().catch(() => undefined);
  return nc;
}

/** A NATS URL as it may be printed: without its password. */
export function displayUrl(url: string): string {
  return url.replace(/^(\w+:\/\/)[^@/]*@/, '$1');
}
