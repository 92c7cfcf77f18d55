/**
 * Rooms ordered by when they are due: a binary min-heap on (urgent first, due time, insertion order).
 * Urgent entries are rooms that must go before anything merely due (a new room's baseline, a change
 * reported from outside); among equals, the earlier due and then the earlier inserted goes first, so
 * rooms that all fall due at once keep a stable round-robin order.
 *
 * Written here rather than taken from a package because it needs re-keying by room (a room's due time
 * changes when it is polled or reported changed) and the few lines of lazy deletion that takes are all
 * there is to it: an update pushes a new entry and marks the old one stale, and stale entries are
 * skipped when they reach the top (and swept when they outnumber the live ones).
 */

interface Entry<K> {
  key: K;
  urgent: boolean;
  dueMs: number;
  seq: number;
}

export class DueQueue<K> {
  private heap: Entry<K>[] = [];
  /** The live entry of each key; any other entry in the heap for the key is stale. */
  private readonly live = new Map<K, Entry<K>>();
  private seq = 0;

  get size(): number {
    return this.live.size;
  }

  has(key: K): boolean {
    return this.live.has(key);
  }

  dueOf(key: K): number | undefined {
    return this.live.get(key)?.dueMs;
  }

  /** Insert the key, or move it to its new due time. `urgent` puts it ahead of every non-urgent entry. */
  set(key: K, dueMs: number, urgent = false): void {
    const entry: Entry<K> = { key, urgent, dueMs, seq: this.seq++ };
    this.live.set(key, entry);
    this.push(entry);
    if (this.heap.length > 2 * this.live.size + 32) this.compact();
  }

  delete(key: K): boolean {
    return this.live.delete(key);
  }

  keys(): IterableIterator<K> {
    return this.live.keys();
  }

  /** The first key in order with its due time and urgency, without removing it. */
  peek(): { key: K; dueMs: number; urgent: boolean } | undefined {
    this.dropStale();
    const top = this.heap[0];
    return top && { key: top.key, dueMs: top.dueMs, urgent: top.urgent };
  }

  /** Remove and return the first key in order. */
  pop(): K | undefined {
    return this.popEntry()?.key;
  }

  /** Remove and return the first key in order with its due time and urgency (to put it back as it was). */
  popEntry(): { key: K; dueMs: number; urgent: boolean } | undefined {
    this.dropStale();
    const top = this.heap[0];
    if (!top) return undefined;
    this.removeTop();
    this.live.delete(top.key);
    return { key: top.key, dueMs: top.dueMs, urgent: top.urgent };
  }

  private dropStale(): void {
    while (this.heap.length > 0 && this.live.get(this.heap[0]!.key) !== this.heap[0]) this.removeTop();
  }

  private compact(): void {
    this.heap = [...this.live.values()].sort(before);
  }

  private push(entry: Entry<K>): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (before(h[parent]!, h[i]!) <= 0) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  private removeTop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!) < 0) m = l;
      if (r < h.length && before(h[r]!, h[m]!) < 0) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
}

function before<K>(a: Entry<K>, b: Entry<K>): number {
  if (a.urgent !== b.urgent) return a.urgent ? -1 : 1;
  return a.dueMs - b.dueMs || a.seq - b.seq;
}
