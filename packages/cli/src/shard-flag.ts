import { Flags } from '@oclif/core';
import type { Shard } from '@elder-sync/core';

/** `--shard i/N` on run, diff and daemon (DESIGN §8): N cron entries or an Indexed Job split the work. */
export const shardFlag = Flags.string({
  summary: 'Run only shard i of N of the work units (source × scope), e.g. 2/4; auto/N takes JOB_COMPLETION_INDEX (Kubernetes Indexed Job). Each shard keeps its own state file.',
  env: 'ELDER_SYNC_SHARD',
});

/** The parsed shard, or nothing; a malformed one is a usage error (exit 64) naming the flag. */
export function shardOption(core: { parseShard(text: string): Shard }, text: string | undefined): { shard?: Shard } {
  return text === undefined ? {} : { shard: core.parseShard(text) };
}
