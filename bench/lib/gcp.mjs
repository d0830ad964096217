// The GCP scenario of `pnpm bench`: the real CLI reading the testkit's loopback Google Cloud (every
// project below an organization, real Compute / Resource Manager / Storage clients, tokens from the
// loopback token endpoint) into the Elder emulator. First sync, then a run with nothing changed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elderConfigLines, STATE_LINES } from './elder-config.mjs';

/** Projects in the estate: the fixture's 3 plus this many more below the Platform folder. */
const EXTRA_PROJECTS = 7;
/** Networks (2), subnetworks (4) and buckets (3) per project; the rest of a project's objects are instances. */
const FIXED_PER_PROJECT = 9;

/**
 * @param {{ objects: number, latencyMs: number, testkit: any, google: any, cli: Function, emit: Function, round: Function }} options
 */
export async function gcpSeries({ objects, latencyMs, testkit, google, cli, emit, round }) {
  const projects = 3 + EXTRA_PROJECTS;
  const instances = Math.max(1, Math.round(objects / projects) - FIXED_PER_PROJECT);
  const sa = google.mintServiceAccountKey();
  const tokens = await google.startGoogleTokenServer({ accounts: [sa] });
  const gcp = await google.startGcpServer(tokens, google.gcpEstate({ instances, extraProjects: EXTRA_PROJECTS }));
  const emulator = await testkit.startElderEmulator({ latencyMs });
  const work = mkdtempSync(join(tmpdir(), 'elder-sync-bench-gcp-'));
  const expected = projects * (instances + FIXED_PER_PROJECT);
  const base = { objects: expected, projects, latencyMs };
  try {
    writeFileSync(join(work, 'gcp-sa.json'), sa.json);
    const endpoints = Object.entries(gcp.endpoints).map(([k, v]) => `        ${k}: ${v}`);
    writeFileSync(
      join(work, 'elder-sync.yaml'),
      [
        ...elderConfigLines(emulator.url),
        ...STATE_LINES,
        'sources:',
        '  - name: bench-gcp',
        '    connector: gcp',
        '    config:',
        '      credentials: "${file:./gcp-sa.json}"',
        '      parents: [organizations/123456789]',
        '      excludeProjects: [sandbox-*]',
        '      endpoints:',
        ...endpoints,
        '',
      ].join('\n'),
    );
    const gcpRequests = () => gcp.requests.length;
    let before = gcpRequests();
    const first = await cli(work, emulator, ['run']);
    const firstGcp = gcpRequests() - before;
    const entities = emulator.entities().length;
    if (entities !== expected) throw new Error(`GCP first sync left ${entities} entities in Elder, expected ${expected}`);
    emit({
      scenario: 'gcp', phase: 'first-sync', ...base, wallS: round(first.wallS), objectsPerS: round(expected / first.wallS, 0),
      elderCallsPerObject: round((first.reads + first.writes) / expected, 3), reads: first.reads, writes: first.writes, gcpRequests: firstGcp,
      peakRssMb: round(first.maxRssMb, 1), cpuSeconds: round(first.cpuSeconds),
    });
    before = gcpRequests();
    const same = await cli(work, emulator, ['run']);
    emit({
      scenario: 'gcp', phase: 'no-change', ...base, wallS: round(same.wallS), objectsPerS: round(expected / same.wallS, 0),
      elderCallsPerObject: round((same.reads + same.writes) / expected, 3), reads: same.reads, writes: same.writes, gcpRequests: gcpRequests() - before,
      peakRssMb: round(same.maxRssMb, 1), cpuSeconds: round(same.cpuSeconds), ok: same.writes === 0,
    });
  } finally {
    await emulator.close();
    await gcp.close();
    await tokens.close();
    rmSync(work, { recursive: true, force: true });
  }
}
