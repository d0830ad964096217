// Test helpers (not built): a daemon child process, and a strict reader of Prometheus text.
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './cli.js';

export interface DaemonProcess {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** `http://127.0.0.1:<port>` of the health server, once it listens. */
  url: string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  get<T = unknown>(path: string): Promise<{ status: number; text: string; json: () => T }>;
  /** Waits for a line on stderr matching `pattern`, from `since` (a stderr length). */
  waitFor(pattern: RegExp, timeoutMs?: number, since?: number): Promise<string>;
}

export async function startDaemon(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [BIN, 'daemon', ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = 30_000, since = 0): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(stderr.slice(since));
      if (m) return m[0];
      if (child.exitCode !== null) throw new Error(`daemon exited (${child.exitCode}) before ${pattern}:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; stderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const line = await waitFor(/health and metrics on (http:\/\/\S+)/);
  const url = /(http:\/\/\S+)/.exec(line)![1]!;
  return {
    child,
    stderr: () => stderr,
    url,
    exited,
    waitFor,
    async get(path) {
      const res = await fetch(url + path);
      const text = await res.text();
      return { status: res.status, text, json: () => JSON.parse(text) };
    },
  };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Prometheus text exposition 0.0.4, strictly: every line is a HELP/TYPE comment or a sample
 * `name{label="value",...} number`; anything else throws, naming the line.
 */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      if (comment[1] === 'TYPE') {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(comment[3]!)) throw new Error(`line ${i + 1}: bad TYPE: ${line}`);
        types.set(comment[2]!, comment[3]!);
      }
      continue;
    }
    // Values as Go's ParseFloat reads them (Prometheus' parser): NaN and Inf in any case.
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:[0-9.e+-]+|nan|[+-]?inf))(?: -?\d+)?$/i.exec(line);
    if (!m) throw new Error(`line ${i + 1} is not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy;
      let consumed = 0;
      let lm: RegExpExecArray | null;
      while ((lm = re.exec(m[2])) !== null) {
        labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        consumed = re.lastIndex;
      }
      if (consumed !== m[2].length) throw new Error(`line ${i + 1}: bad labels: ${line}`);
    }
    const raw = m[3]!.toLowerCase();
    const value = raw === 'nan' ? NaN : raw === 'inf' || raw === '+inf' ? Infinity : raw === '-inf' ? -Infinity : Number(raw);
    if (Number.isNaN(value) && raw !== 'nan') throw new Error(`line ${i + 1}: bad value: ${line}`);
    const family = m[1]!.replace(/_(bucket|sum|count|total|created)$/, '');
    if (!types.has(m[1]!) && !types.has(family) && !types.has(m[1]!.replace(/_(bucket|sum|count)$/, ''))) {
      throw new Error(`line ${i + 1}: sample without a TYPE: ${line}`);
    }
    samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}

/** The JSON log lines among `stderr` (other lines are the CLI's human notices). */
export function logEntries(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Sum of the samples named `name` whose labels include `labels`. */
export function metric(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}
