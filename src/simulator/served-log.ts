/**
 * What the simulator actually told a client, per room, in order. Integration tests compare the
 * daemon's events against this (the world's own state may have moved on since).
 */

export interface ServedSnapshot {
  /** Simulator clock when the response was built, epoch ms. */
  at: number;
  exists: boolean;
  visible: string[];
  /** As served, i.e. possibly truncated. */
  invisible: string[];
  totalUser: number;
  totalInvisibleUser: number;
}

export class ServedLog {
  private readonly byRoom = new Map<string, ServedSnapshot[]>();

  record(appId: string, roomId: string, snapshot: ServedSnapshot): void {
    const key = `${appId}\u0000${roomId}`;
    const list = this.byRoom.get(key);
    if (list) list.push(snapshot);
    else this.byRoom.set(key, [snapshot]);
  }

  list(appId: string, roomId: string): ServedSnapshot[] {
    return [...(this.byRoom.get(`${appId}\u0000${roomId}`) ?? [])];
  }
}
