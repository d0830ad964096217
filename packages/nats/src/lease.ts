import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { NAMES, token } from './units.js';

/**
 * At most one worker holds a unit key at a time: a KV entry created only if absent and renewed
 * with the revision it was last written at. The bucket's TTL expires the lease of a worker that
 * died, so its unit can be taken again once the stream redelivers it.
 */
export class Leases {
  private constructor(
    private readonly kv: KV,
    readonly ttlMs: number,
  ) {}

  static async open(nc: NatsConnection, ttlMs: number): Promise<Leases> {
    const { Kvm } = await import('@nats-io/kv');
    return new Leases(await new Kvm(nc).create(NAMES.leaseBucket, { history: 1, ttl: ttlMs }), ttlMs);
  }

  /** The lease, or null when another worker holds the key. */
  async acquire(unitKey: string, holder: string): Promise<Lease | null> {
    const key = `u.${token(unitKey)}`;
    let revision: number;
    try {
      revision = await this.kv.create(key, holder);
    } catch {
      return null; // held (wrong last sequence)
    }
    const kv = this.kv;
    return {
      async renew() {
        revision = await kv.update(key, holder, revision);
      },
      async release() {
        await kv.delete(key, { previousSeq: revision }).catch(() => undefined);
      },
      lost: (error) => /wrong last sequence/i.test(error instanceof Error ? error.message : String(error)),
    };
  }
}

export interface Lease {
  /** Extends the lease; throws when it was lost (expired and taken by another worker). */
  renew(): Promise<void>;
  release(): Promise<void>;
  /** Whether a renew error means another worker holds the key now (not a passing outage). */
  lost(error: unknown): boolean;
}
