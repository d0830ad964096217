// The Google Workspace scenario (issue 17): the real CLI syncs a loopback Workspace (the testkit's
// token endpoint and Directory API, at the API's own page caps) into the Elder emulator. First sync,
// then a run with nothing changed; both report Elder calls and the sync process's peak RSS, plus the
// Directory API calls the read made.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { elderConfigLines, STATE_LINES } from './elder-config.mjs';

/**
 * @param {object} o
 * @param {number} o.users
 * @param {number} o.groups
 * @param {string} o.work        scratch directory (config, state, key file)
 * @param {object} o.emulator    the Elder emulator
 * @param {object} o.google      `@elder-sync/testkit/google`
 * @param {(work: string, emulator: object, args: string[]) => Promise<object>} o.cli
 * @param {(result: object) => void} o.emit
 */
export async function workspaceSeries({ users, groups, work, emulator, google, cli, emit, round }) {
  const fake = await google.startWorkspaceFake({ generate: { users, groups, orgUnitLevels: 4 } });
  try {
    writeFileSync(join(work, 'workspace-sa.json'), fake.account.json);
    writeFileSync(
      join(work, 'elder-sync.yaml'),
      [
        ...elderConfigLines(emulator.url),
        ...STATE_LINES,
        'sources:',
        '  - name: bench-workspace',
        '    connector: workspace',
        '    config:',
        '      credentials: "${file:./workspace-sa.json}"',
        `      subject: ${fake.subject}`,
        `      endpoints: { token: "${fake.config.endpoints.token}", admin: "${fake.config.endpoints.admin}" }`,
      ].join('\n') + '\n',
    );
    const objects = users + groups;
    const directoryCalls = () => {
      const n = fake.directory.requests.length;
      fake.directory.resetStats();
      return n;
    };
    const first = await cli(work, emulator, ['run']);
    const entities = emulator.entities().length;
    if (entities !== objects) throw new Error(`workspace first sync left ${entities} entities in Elder, expected ${objects}`);
    const dependencies = emulator.dependencies().length;
    const base = { users, groups, orgUnits: fake.directory.directory.data.orgUnits.length, dependencies };
    emit({
      scenario: 'workspace', run: 'first-sync', ...base, wallS: round(first.wallS), objectsPerS: round(objects / first.wallS, 0),
      directoryCalls: directoryCalls(), elderCalls: first.reads + first.writes, elderCallsPerObject: round((first.reads + first.writes) / (objects + dependencies), 3),
      reads: first.reads, writes: first.writes, peakRssMb: round(first.maxRssMb, 1), cpuSeconds: round(first.cpuSeconds),
    });
    const same = await cli(work, emulator, ['run']);
    emit({
      scenario: 'workspace', run: 'no-change', ...base, wallS: round(same.wallS), directoryCalls: directoryCalls(), elderCalls: same.reads + same.writes,
      reads: same.reads, writes: same.writes, peakRssMb: round(same.maxRssMb, 1), cpuSeconds: round(same.cpuSeconds), ok: same.writes === 0,
    });
  } finally {
    await fake.close();
  }
}
