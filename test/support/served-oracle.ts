import type { ServedSnapshot } from '../../src/simulator';

/**
 * The integration tests' oracle, written independently of src/rooms: the union diff of consecutive
 * snapshots the simulator served to one room, as sorted `room|type|user|visibility` rows.
 */
export function expectedRows(roomId: string, served: readonly ServedSnapshot[]): string[] {
  const members = (s: ServedSnapshot): Map<string, string> => {
    const m = new Map<string, string>();
    if (!s.exists) return m;
    s.invisible.forEach((u) => m.set(u, 'invisible'));
    s.visible.forEach((u) => m.set(u, 'visible'));
    return m;
  };
  const rows: string[] = [];
  for (let i = 1; i < served.length; i++) {
    const before = members(served[i - 1]!);
    const after = members(served[i]!);
    for (const [u, v] of after) {
      const was = before.get(u);
      if (was === undefined) rows.push(`${roomId}|join|${u}|${v}`);
      else if (was !== v) rows.push(`${roomId}|visibility_change|${u}|${v}`);
    }
    for (const [u, v] of before) if (!after.has(u)) rows.push(`${roomId}|leave|${u}|${v}`);
  }
  return rows.sort();
}

/** Events (as parsed from the NDJSON file) of one room, as rows comparable with expectedRows. */
export function actualRows(events: readonly Record<string, string>[], roomId: string, appId?: string): string[] {
  return events
    .filter((e) => e.roomId === roomId && (appId === undefined || e.appId === appId))
    .map((e) => `${e.roomId}|${e.type}|${e.userId}|${e.visibility}`)
    .sort();
}

/** One sample from Prometheus text: an unlabelled series, or the series of one room. */
export function metricValue(text: string, name: string, roomId?: string): number | undefined {
  const line = text
    .split('\n')
    // Without a room: the unlabelled series, or the first labelled one (e.g. {account="default"}).
    .find((l) => (roomId === undefined ? l.startsWith(`${name} `) || l.startsWith(`${name}{`) : l.startsWith(`${name}{`) && l.includes(`room_id="${roomId}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Whether a replica in cluster mode reports itself leader (false while it cannot be reached). */
export async function reportsLeader(url: string): Promise<boolean> {
  try {
    return metricValue(await (await fetch(`${url}/metrics`)).text(), 'rtc_cluster_leader') === 1;
  } catch {
    return false;
  }
}
