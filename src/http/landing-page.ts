/** The landing page at `/`: where to look, as exporters conventionally show it. Pure. */
export function landingPage(info: { version: string; rooms: number; ready: boolean }): string {
  const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>rtc-room-monitor</title></head>
<body>
<h1>rtc-room-monitor</h1>
<p>Version ${esc(info.version)}. Watching ${info.rooms} room(s). ${info.ready ? 'Ready.' : 'Waiting for the first poll cycle.'}</p>
<ul>
<li><a href="metrics">metrics</a></li>
<li><a href="-/healthy">health</a></li>
<li><a href="-/ready">readiness</a></li>
</ul>
<p>Reload the configuration with SIGHUP, or <code>POST /-/reload</code> when started with <code>--web.enable-lifecycle</code>.</p>
</body></html>
`;
}
