import type { JetStreamManager } from '@nats-io/jetstream';
import { NAMES } from './units.js';

const SECOND_NS = 1_000_000_000;

/**
 * Creates (or keeps) the streams and the shared consumer. Idempotent: every dispatcher and worker
 * calls it at start, so no one has to prepare the server by hand.
 */
export async function ensureStreams(jsm: JetStreamManager, options: { ackWaitMs: number }): Promise<void> {
  const { AckPolicy, RetentionPolicy, StorageType, DeliverPolicy } = await import('@nats-io/jetstream');
  const ensure = async (name: string, subjects: string[], extra: Record<string, unknown>) => {
    try {
      await jsm.streams.info(name);
    } catch {
      await jsm.streams.add({ name, subjects, storage: StorageType.File, ...extra });
    }
  };
  // A work queue: each unit is removed once a worker acks it; a republished unit id is dropped.
  await ensure(NAMES.unitsStream, ['elder-sync.units.>'], { retention: RetentionPolicy.Workqueue, duplicate_window: 10 * 60 * SECOND_NS });
  await ensure(NAMES.resultsStream, ['elder-sync.results.>'], { max_age: 7 * 24 * 3600 * SECOND_NS });
  await ensure(NAMES.deadStream, ['elder-sync.dead.>'], { max_age: 30 * 24 * 3600 * SECOND_NS });
  try {
    await jsm.consumers.info(NAMES.unitsStream, NAMES.workersConsumer);
  } catch {
    await jsm.consumers.add(NAMES.unitsStream, {
      durable_name: NAMES.workersConsumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      // Workers send in-progress acks well within this while a unit runs; a silent worker's unit is redelivered.
      ack_wait: options.ackWaitMs * 1_000_000,
      // Attempts are counted by the workers (deliveryCount), which dead-letter the unit themselves.
      max_deliver: -1,
      max_ack_pending: 10_000,
    });
  }
}
