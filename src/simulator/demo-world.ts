import { ChurnSpec } from './churn';
import { SimRoomSpec } from './world';

/**
 * The world `npm run demo` and the standalone simulator start with when no config is given. The key
 * pair is public on purpose: it only ever unlocks this simulator.
 */
export const DEMO_CREDENTIALS = Object.freeze({
  accessKeyId: 'AKLTsimulatordemo',
  secretAccessKey: 'c2ltdWxhdG9yLWRlbW8tc2VjcmV0',
});

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
