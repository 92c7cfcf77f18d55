import type { Leadership, Role } from '../../src/cluster/leadership';

/** A leadership the test sets by hand: the daemon polls only while it says leader. */
export class ManualLeadership implements Leadership {
  private current: Role = 'unknown';
  private readonly listeners = new Set<(r: Role) => void>();
  started = false;
  stopped = false;

  /** `term`: the fencing token while leading. */
  constructor(private readonly term = 1) {}

  set(role: Role): void {
    this.current = role;
    for (const l of this.listeners) l(role);
  }
  isLeader(): boolean {
    return this.current === 'leader';
  }
  token(): number | undefined {
    return this.isLeader() ? this.term : undefined;
  }
  role(): Role {
    return this.current;
  }
  ownsRoomSeries(): boolean {
    return this.isLeader();
  }
  onChange(l: (r: Role) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  start(): void {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}
