import type { RoomView } from '../store/room-store';
import type { StatusRoom } from './rooms-query';

/** Where a room belongs: its account and the discovery sources that list it. */
export interface RoomMeta {
  account: string;
  sources: readonly string[];
}

/** When a room is polled: its target interval and (adaptive strategy) its estimated change rate. */
export interface RoomPlanView {
  intervalSeconds: number;
  changesPerSecond?: number;
}

/**
 * The store's room views seen with their account and sources, for the status page. Each view gets one
 * decorated object for its life (the view is its prototype, so values are live, and the rooms query's
 * per-object caches stay warm); account and sources are read from the registry when asked.
 */
export class RoomsWithMeta {
  private readonly decorated = new WeakMap<RoomView, StatusRoom>();

  constructor(
    private readonly meta: (appId: string, roomId: string) => RoomMeta | undefined,
    private readonly plan: (appId: string, roomId: string) => RoomPlanView | undefined = () => undefined,
  ) {}

  *rooms(views: Iterable<RoomView>): Iterable<StatusRoom> {
    for (const v of views) yield this.of(v);
  }

  of(view: RoomView): StatusRoom;
  of(view: RoomView | undefined): StatusRoom | undefined;
  of(view: RoomView | undefined): StatusRoom | undefined {
    if (!view) return undefined;
    let d = this.decorated.get(view);
    if (!d) {
      const { meta, plan } = this;
      d = Object.create(view, {
        account: { get: () => meta(view.appId, view.roomId)?.account, enumerable: true },
        source: { get: () => meta(view.appId, view.roomId)?.sources.join('+') || undefined, enumerable: true },
        pollIntervalSeconds: { get: () => plan(view.appId, view.roomId)?.intervalSeconds, enumerable: true },
        changesPerSecond: { get: () => plan(view.appId, view.roomId)?.changesPerSecond, enumerable: true },
      }) as StatusRoom;
      this.decorated.set(view, d);
    }
    return d;
  }
}
