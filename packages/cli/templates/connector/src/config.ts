import { secret } from '@elder-sync/connector-sdk';
import { z } from 'zod';

/**
 * The source's `config` block in elder-sync.yaml. This schema is the only definition of the config
 * type (`HostsConfig` below is inferred from it); `secret()` keeps the token out of logs, plans,
 * state files and `--json` output.
 */
export const configSchema = z
  .object({
    url: z.url().describe('Base URL of the inventory API, e.g. https://inventory.example.com'),
    token: secret(z.string().min(1)).describe('API token, sent as a bearer token'),
    pageSize: z.number().int().min(1).max(1000).default(100).describe('Hosts per request'),
    timeoutMs: z.number().int().positive().default(30_000),
  })
  .strict();

export type HostsConfig = z.infer<typeof configSchema>;
