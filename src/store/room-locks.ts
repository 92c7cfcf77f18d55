/**
 * One commit at a time per room, for a store where two writers can diff the same room (a poll and a
 * vendor callback). Each room has a promise chain; a task waits for every one of its rooms' chains and
 * holds them all until it settles. The chains are extended synchronously for all of a task's rooms at once,
 * so two tasks can never wait on each other.
 */
export class RoomLocks {
  private readonly chains = new Map<string, Promise<unknown>>();

  run<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)];
    const previous = unique.map((k) => this.chains.get(k) ?? Promise.resolve());
    const next = Promise.all(previous).then(task, task);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    for (const k of unique) this.chains.set(k, settled);
    void settled.then(() => {
      for (const k of unique) if (this.chains.get(k) === settled) this.chains.delete(k);
    });
    return next;
  }

  /** Rooms with a task queued or running (for tests). */
  held(): number {
    return this.chains.size;
  }
}
