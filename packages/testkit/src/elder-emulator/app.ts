/** The state one emulator instance serves from, shared by all route handlers. */
import { AuthService } from './auth.js';
import type { Principal } from './auth.js';
import { ElderStore } from './store.js';
import type { ElderDialect } from './types.js';
import type { IncomingHttpHeaders } from 'node:http';

export interface EmulatorSettings {
  dialect: ElderDialect;
  strictAuth: boolean;
  shuffleTies: boolean;
  prettyJson: boolean;
  appVersion: string;
}

export interface EmulatorClock {
  /** Epoch milliseconds, shifted by `advanceTime`. */
  now(): number;
}

export interface EmulatorApp {
  store: ElderStore;
  auth: AuthService;
  settings: EmulatorSettings;
  clock: EmulatorClock;
  /** Randomness for `shuffleTies`; deliberately not seeded, equal names have no defined order. */
  random: () => number;
}

export interface RouteContext {
  app: EmulatorApp;
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** `http://host:port` as the client addressed us, for absolute redirect locations. */
  origin: string;
  /** Set when the route required (or strict mode demanded) authentication. */
  principal: Principal | null;
}
