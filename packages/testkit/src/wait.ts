/**
 * Polls until `done()` holds. Tests that drive servers and processes wait for a state, not for a
 * time: a stalled CI machine makes a fixed sleep too short, and a poll only slower.
 */
export async function waitUntil(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 30_000, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
