import { ChurnSpec } from './churn';
import type { SimCallSpec } from './call-timeline';
import { SimRoomSpec } from './world';

/**
 * The world `npm run demo` and the standalone simulator start with when no config is given. The key
 * pair is public on purpose: it only ever unlocks this simulator.
 */
export const DEMO_CREDENTIALS = Object.freeze({
  accessKeyId: 'AKLTsimulatordemo',
  secretAccessKey: 'c2ltdWxhdG9yLWRlbW8tc2VjcmV0',
});

/** The demo's public callback secret: the simulator signs with it, the demo daemon checks it. Not a real one. */
export const DEMO_CALLBACK_SECRET = 'simulator-demo-callback-secret';

export const DEMO_APP_ID = 'demo-app';

/** Busy enough that a dashboard moves within a minute, quiet enough that the event log stays readable. */
const MODERATE: ChurnSpec = { joinsPerMinute: 6, leavesPerMinute: 6, visibilityChangesPerMinute: 1 };
const STILL: ChurnSpec = { paused: true };

export function demoRooms(): SimRoomSpec[] {
  return [
    { appId: DEMO_APP_ID, roomId: 'lobby', visible: 20, invisible: 3, churn: MODERATE },
    {
      appId: DEMO_APP_ID,
      roomId: 'stage',
      visible: 50,
      invisible: 5,
      churn: { joinsPerMinute: 12, leavesPerMinute: 12, visibilityChangesPerMinute: 2 },
    },
    { appId: DEMO_APP_ID, roomId: 'quiet', visible: 0, invisible: 0, churn: STILL },
    { appId: DEMO_APP_ID, roomId: 'ghost', exists: false, churn: STILL },
    {
      appId: DEMO_APP_ID,
      roomId: 'popup',
      visible: 5,
      invisible: 1,
      churn: { ...MODERATE, closeProbabilityPerMinute: 0.2, reopenProbabilityPerMinute: 0.5 },
    },
  ];
}

const HOUR_MS = 3_600_000;

/**
 * Calls of the demo app over the next `hours`, for discovery through ListRoomInfo: the lobby and the
 * stage have one long call each (started before `nowMs`), and a class starts about every 30 s and ends
 * 1-4 minutes later, so rooms keep appearing and retiring while the demo runs. Deterministic in `nowMs`.
 */
export function demoCalls(nowMs: number, hours = 12): SimCallSpec[] {
  const calls: SimCallSpec[] = [
    { appId: DEMO_APP_ID, roomId: 'lobby', startMs: nowMs - 10 * 60_000 },
    { appId: DEMO_APP_ID, roomId: 'stage', startMs: nowMs - 10 * 60_000 },
  ];
  for (let i = 0, t = nowMs + 5_000; t < nowMs + hours * HOUR_MS; i++, t += 20_000 + ((i * 7919) % 20_000)) {
    const durationMs = 60_000 + ((i * 104_729) % 180_000);
    calls.push({ appId: DEMO_APP_ID, roomId: `class-${i % 40}`, startMs: t, endMs: t + durationMs, visible: 3 + (i % 8), churn: MODERATE });
  }
  return calls;
}
