import type { RoomEvent } from '../rooms/room-event';
import { Members, Membership } from '../rooms/membership-diff';
import type { CallbackPlan } from '../rooms/member-reconcile';
import type { Fence, PollCommit, StateStore } from './store';

/** What the commit of a room's callbacks reads of the room (RoomStore's record of it). */
export interface CallbackRoom {
  appId: string;
  roomId: string;
  exists?: boolean;
  totalUsers: number;
  totalInvisibleUsers: number;
  lastSuccessMs?: number;
  baselined: boolean;
  membership: Membership;
}

/** The commit of one room's planned callbacks: their changes and events, and gauges moved by them. Pure. */
export function callbackCommit(room: CallbackRoom, plan: CallbackPlan, eventIds: readonly string[]): PollCommit {
  let total = room.totalUsers;
  let hidden = room.totalInvisibleUsers;
  for (const c of plan.changes) {
    const step = c.type === 'join' ? 1 : c.type === 'leave' ? -1 : 0;
    total += step;
    if (c.visibility === 'invisible') hidden += c.type === 'visibility_change' ? 1 : step;
    else if (c.type === 'visibility_change') hidden -= 1;
  }
  const exists = plan.destroyed ? false : plan.changes.length > 0 ? true : (room.exists ?? true);
  const commit: PollCommit = {
    appId: room.appId,
    roomId: room.roomId,
    exists,
    totalUsers: exists ? Math.max(0, total) : 0,
    totalInvisibleUsers: exists ? Math.max(0, Math.min(hidden, total)) : 0,
    lastSuccessMs: room.lastSuccessMs,
    changes: plan.changes,
    events: plan.changes.map((c, i) => ({ time: new Date(plan.times[i]!).toISOString(), type: c.type, appId: room.appId, roomId: room.roomId, userId: c.userId, visibility: c.visibility, source: 'callback' as const })),
    callbackIds: eventIds,
  };
  // A room not polled yet has no committed member list: write the one the callbacks built, so a store
  // that insists on a baseline (Redis) takes it; the first poll then replaces it.
  if (!room.baselined) {
    const next = Members.of([...room.membership.visible()], [...room.membership.invisible()]);
    next.apply(plan.changes);
    commit.baseline = { visible: [...next.visible()], invisible: [...next.invisible()] };
  }
  return commit;
}

/** Several rooms' commits: in one transaction where the store offers it, else one after another. */
export async function commitAll(state: StateStore, commits: readonly PollCommit[], fence: Fence): Promise<RoomEvent[][]> {
  if (state.commitPolls) return state.commitPolls(commits, fence);
  const out: RoomEvent[][] = [];
  for (const c of commits) out.push(await state.commitPoll(c, fence));
  return out;
}
