/** What every scenario gets from the runner. */
export interface ScenarioContext {
  /** Progress lines for the terminal. */
  log(line: string): void;
  /** When set, each daemon writes a V8 CPU profile here (`--cpu-prof`), for investigating a miss. */
  cpuProfileDir?: string;
}
