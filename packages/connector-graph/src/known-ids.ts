import type { TenantSession } from './session.js';

/**
 * Which ids of a kind exist, so that a record only names relation targets that are (or are being)
 * synced: the engine fails a scope on a new relation to an object it does not have (an alert naming a
 * user deleted since, a vulnerability on a machine Defender no longer lists). Filled by this run's
 * read of the kind; complete after a full listing. Otherwise unknown ids are asked of Graph by id,
 * 20 per `$batch` (users only: machines are listed whole every run).
 */
export class KnownIds {
  private readonly known = new Map<string, boolean>();
  complete = false;

  add(id: string): void {
    this.known.set(id.toLowerCase(), true);
  }

  has(id: string): boolean {
    return this.known.get(id.toLowerCase()) === true;
  }

  /** Looks up the ids not known yet (unless the listing was complete); afterwards `has` answers for them. */
  async confirmUsers(session: TenantSession, ids: Iterable<string>): Promise<void> {
    if (this.complete) return;
    const unknown = [...new Set([...ids].map((i) => i.toLowerCase()))].filter((i) => !this.known.has(i)).sort();
    if (unknown.length === 0) return;
    const results = await session.batch('users', unknown.map((id) => ({ url: `/users/${id}?$select=id` })));
    unknown.forEach((id, i) => {
      const r = results[i]!;
      if (r.status === 200) this.known.set(id, true);
      else if (r.status === 404 || r.status === 400) this.known.set(id, false);
      else throw session.itemFailure(r, `GET /users/${id}`, 'users');
    });
  }
}
