/**
 * A set of user ids that also supports picking a uniformly random member in O(1), which churn needs
 * for rooms with 10,000 members (a plain Set can only be sampled by walking it).
 *
 * Removal swaps the last element into the hole, so iteration order is arbitrary but stable between
 * mutations; the simulator serves lists in this order, which is fine because the API promises no order.
 */
export class MemberSet {
  private readonly ids: string[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  add(id: string): boolean {
    if (this.index.has(id)) return false;
    this.index.set(id, this.ids.length);
    this.ids.push(id);
    return true;
  }

  delete(id: string): boolean {
    const at = this.index.get(id);
    if (at === undefined) return false;
    const last = this.ids.pop() as string;
    this.index.delete(id);
    if (last !== id) {
      this.ids[at] = last;
      this.index.set(last, at);
    }
    return true;
  }

  /** The member at position `i` (0 <= i < size). */
  at(i: number): string {
    const id = this.ids[i];
    if (id === undefined) throw new RangeError(`member index ${i} out of range (size ${this.ids.length})`);
    return id;
  }

  clear(): void {
    this.ids.length = 0;
    this.index.clear();
  }

  /** A copy of at most `limit` ids, in set order. */
  list(limit = Infinity): string[] {
    return limit >= this.ids.length ? this.ids.slice() : this.ids.slice(0, limit);
  }
}
