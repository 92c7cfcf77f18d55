import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/**
 * The daemon config the integration tests run: the compose stack's simulator-mode config
 * (config/compose/monitor-simulator.yaml) with only what must differ on a test machine replaced, so
 * the rooms and capacities the dashboards are proven against are the ones `docker compose up` shows.
 */

export interface MonitorTestOverrides {
  /** The simulator's base URL (replaces http://simulator:8080). */
  endpoint: string;
  /** A fast schedule so a test sees several cycles within seconds. */
  schedule?: string;
}

export interface RoomEntry {
  appId: string;
  roomId: string;
  capacity?: number;
}

export function monitorTestConfig(composeConfigPath: string, overrides: MonitorTestOverrides): Record<string, unknown> {
  const cfg = parse(readFileSync(composeConfigPath, 'utf8')) as Record<string, unknown>;
  const api = { ...(cfg.api as Record<string, unknown> | undefined), endpoint: overrides.endpoint };
  const out: Record<string, unknown> = { ...cfg, api, schedule: overrides.schedule ?? '*/1 * * * * *' };
  // The container paths do not exist here; the test has no use for persisted state.
  delete out.state;
  delete out.server;
  return out;
}

export function roomsOf(config: Record<string, unknown>): RoomEntry[] {
  return (config.rooms as RoomEntry[] | undefined) ?? [];
}
