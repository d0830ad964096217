import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Flags, type Command } from '@oclif/core';
import type { StateStore } from '@elder-sync/core';
import { BaseCommand } from './base-command.js';

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
    // A config file decides (`state.path`, resolved by core); without one, $ELDER_SYNC_STATE or the default.
    const loaded = core.loadConfigFile({ path: this.flags.config ?? null });
    if (loaded !== null) return loaded.config.state.path ?? resolve(core.DEFAULT_STATE_PATH);
    return resolve(process.env['ELDER_SYNC_STATE'] || core.DEFAULT_STATE_PATH);
  }

  /** Opens the store, or returns null when the file does not exist (reading never creates it). */
  protected async openState(options: { create: boolean }): Promise<{ path: string; store: StateStore | null }> {
    const path = await this.statePath();
    if (!options.create && !existsSync(path)) return { path, store: null };
    const core = await this.core();
    return { path, store: core.StateStore.open(path) };
  }
}
