import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Flags, type Command } from '@oclif/core';
import type { StateStore } from '@elder-sync/core';
import { BaseCommand } from './base-command.js';
import { UsageError } from './exit-codes.js';

/** `state list|show|reset`: find the state file and open it. */
export abstract class StateCommand<T extends typeof Command> extends BaseCommand<T> {
  static override baseFlags = {
    ...BaseCommand.baseFlags,
    state: Flags.string({
      summary: 'State file to use, without reading the config (else state.path of the config, else $ELDER_SYNC_STATE).',
      helpGroup: 'GLOBAL',
    }),
  };

  /** Resolved path of the state file. The config is read only when --state is not given. */
  protected async statePath(): Promise<string> {
    const flag = (this.flags as { state?: string }).state;
    if (flag) return resolve(flag);
    const core = await this.core();
    // A config file decides (`state.path`, resolved by core); without one, $ELDER_SYNC_STATE or the
    // default. Only the state settings are read: the sources' secrets need not be set to inspect state.
    const settings = core.loadStateSettings({ path: this.flags.config ?? null });
    if (settings !== null) return settings.statePath;
    return resolve(process.env['ELDER_SYNC_STATE'] || core.DEFAULT_STATE_PATH);
  }

  /**
   * A SOURCE argument must name a source of the configuration or of the state file: a typo is an
   * error listing the valid names (exit 64), not an empty answer that looks like success.
   */
  protected async checkSourceName(source: string, store: StateStore | null): Promise<void> {
    const known = new Set<string>(store ? store.sources().map((s) => s.source) : []);
    if (!(this.flags as { state?: string }).state) {
      const core = await this.core();
      for (const name of core.loadStateSettings({ path: this.flags.config ?? null })?.sources ?? []) known.add(name);
    }
    if (known.has(source)) return;
    const names = [...known].sort();
    throw new UsageError(
      `no source named "${source}" in the configuration or the state file; ${names.length ? `known sources: ${names.join(', ')}` : 'none is known yet'}`,
    );
  }

  /** Opens the store, or returns null when the file does not exist (reading never creates it). */
  protected async openState(options: { create: boolean }): Promise<{ path: string; store: StateStore | null }> {
    const path = await this.statePath();
    if (!options.create && !existsSync(path)) return { path, store: null };
    const core = await this.core();
    return { path, store: core.StateStore.open(path) };
  }
}
