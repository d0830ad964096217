import { SourceAuthError, TransientSourceError, type SourceError } from '@elder-sync/connector-sdk';
import { createHash } from 'node:crypto';
import type { ConfidentialClientApplication, Configuration } from '@azure/msal-node';
import type { CloudEndpoints } from './cloud.js';
import { CLOUD_ENDPOINTS } from './cloud.js';
import type { TenantConfig } from './config.js';
import type { HttpTransport } from './http.js';
import type { Audience } from './resources.js';

/** Hosts msal knows itself (instance metadata built in); any other login host goes into knownAuthorities. */
const KNOWN_LOGIN_HOSTS = new Set(Object.values(CLOUD_ENDPOINTS).map((c) => new URL(c.login).host));

/** What an AADSTS code means for the operator, and what fixes it. */
const AADSTS_FIX: Record<string, string> = {
  '7000215': 'the client secret is wrong: give the secret value (not its id) in clientSecret',
  '7000222': 'the client secret has expired: create a new one in the app registration and update clientSecret',
  '700016': 'the app is not registered or consented in this tenant (consent revoked?): an admin of the tenant must grant admin consent again',
  '7000229': 'the app has no service principal in this tenant (consent revoked?): an admin of the tenant must grant admin consent again',
  '90002': 'the tenant does not exist: check the tenant id or domain',
  '700027': 'the certificate was refused: check certificate.thumbprint and that the certificate is uploaded to the app registration',
  '7000218': 'no credential was sent: give clientSecret or certificate',
  '500011': 'the API is not available in this tenant',
  '53003': 'a Conditional Access policy blocks this app',
};

/**
 * Client-credentials tokens for one tenant, through msal-node (imported on first use). One
 * ConfidentialClientApplication per tenant holds that tenant's token cache; within it, each audience
 * (Graph, Defender) is its own cache entry, so a token is fetched once per audience and reused until
 * msal decides it is about to expire. msal's HTTP goes through the connector's transport.
 */
export class TenantTokens {
  private app: Promise<ConfidentialClientApplication> | undefined;

  constructor(
    private readonly tenant: TenantConfig,
    private readonly endpoints: CloudEndpoints,
    private readonly transport: HttpTransport,
  ) {}

  /** A bearer token for the audience; throws SourceAuthError (refused) or TransientSourceError. */
  async token(audience: Audience): Promise<string> {
    const app = await (this.app ??= this.createApp());
    const resource = audience === 'graph' ? this.endpoints.graphAudience : this.endpoints.defenderAudience;
    try {
      const result = await app.acquireTokenByClientCredential({ scopes: [`${resource}/.default`] });
      if (!result?.accessToken) throw new SourceAuthError(`${this.who()}: sign-in returned no access token for ${resource}`);
      return result.accessToken;
    } catch (error) {
      throw this.toSourceError(error, resource);
    }
  }

  private who(): string {
    return `tenant ${this.tenant.name} (${this.tenant.id})`;
  }

  private async createApp(): Promise<ConfidentialClientApplication> {
    const { ConfidentialClientApplication } = await import('@azure/msal-node');
    const loginHost = new URL(this.endpoints.login).host;
    const t = this.tenant;
    const send = async (method: 'GET' | 'POST', url: string, options?: { headers?: Record<string, string>; body?: string }) => {
      const answer = await this.transport.send({ method, url, headers: options?.headers, body: options?.body });
      return { status: answer.status, headers: answer.headers, body: answer.body as never };
    };
    const config: Configuration = {
      auth: {
        clientId: t.clientId,
        authority: `${this.endpoints.login}/${t.id}`,
        ...(KNOWN_LOGIN_HOSTS.has(loginHost) ? {} : { knownAuthorities: [loginHost] }),
        ...(t.clientSecret !== undefined ? { clientSecret: t.clientSecret } : {}),
        ...(t.certificate !== undefined
          ? {
              clientCertificate: {
                privateKey: t.certificate.privateKey,
                ...(t.certificate.thumbprint.length === 64 ? { thumbprintSha256: t.certificate.thumbprint } : { thumbprint: t.certificate.thumbprint }),
                ...(t.certificate.x5c ? { x5c: t.certificate.x5c } : {}),
              },
            }
          : {}),
      },
      system: {
        networkClient: {
          sendGetRequestAsync: (url, options) => send('GET', url, options),
          sendPostRequestAsync: (url, options) => send('POST', url, options),
        },
        // The limiter retries token requests (TransientSourceError); msal must not retry underneath it.
        disableInternalRetries: true,
      },
    };
    return new ConfidentialClientApplication(config);
  }

  private toSourceError(error: unknown, resource: string): SourceError {
    if (error instanceof SourceAuthError || error instanceof TransientSourceError) return error;
    const e = error as { errorCode?: string; errorMessage?: string; message?: string; status?: number };
    const text = e.errorMessage ?? e.message ?? String(error);
    const code = /AADSTS(\d+)/.exec(text)?.[1];
    // msal wraps the server's description; keep its first sentence, never trace ids or the request.
    const first = text.replace(/^.*?(AADSTS\d+:)/s, '$1').split(/\r?\n| Trace ID:/)[0]!.trim();
    if (code === undefined && (e.errorCode === 'network_error' || /ECONN|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket|fetch failed/i.test(text))) {
      return new TransientSourceError(`${this.who()}: sign-in at ${this.endpoints.login} failed: ${first}`, { cause: error });
    }
    if (code !== undefined && /^(50196|90033|900144)$/.test(code)) {
      return new TransientSourceError(`${this.who()}: sign-in was throttled or unavailable: ${first}`, { cause: error });
    }
    const fix = code ? AADSTS_FIX[code] : undefined;
    return new SourceAuthError(
      `${this.who()}: sign-in as app ${this.tenant.clientId} for ${resource} was refused: ${first}${fix ? ` (${fix})` : ''}`,
      { cause: error },
    );
  }
}

/** Per transport (its CA setting), then per sign-in. */
const cache = new WeakMap<HttpTransport, Map<string, TenantTokens>>();

/**
 * The token source of a tenant for the whole process, so a daemon's runs reuse tokens until they
 * near expiry. Keyed by everything that makes a different sign-in (a rotated secret gets a new one);
 * the key holds a hash of the credential, never the credential.
 */
export function tokensFor(tenant: TenantConfig, endpoints: CloudEndpoints, transport: HttpTransport): TenantTokens {
  const credential = createHash('sha256')
    .update(tenant.clientSecret ?? `${tenant.certificate?.thumbprint}|${tenant.certificate?.privateKey}`)
    .digest('base64url');
  const key = [tenant.id.toLowerCase(), tenant.clientId.toLowerCase(), endpoints.login, endpoints.graphAudience, endpoints.defenderAudience, credential].join('|');
  let byKey = cache.get(transport);
  if (!byKey) cache.set(transport, (byKey = new Map()));
  let t = byKey.get(key);
  if (!t) byKey.set(key, (t = new TenantTokens(tenant, endpoints, transport)));
  return t;
}
