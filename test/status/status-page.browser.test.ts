/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// DOM types for the callbacks that run inside the page (waitForFunction, $$eval).
import type { Browser, Page } from 'playwright-core';
import { Simulator } from '../../src/simulator';
import { existsSync } from 'node:fs';
import { chromiumRequirement, launchBrowser } from '../support/browser';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { DAEMON_CLI } from '../support/repo-paths';
import { describeWithRequirements, fileRequirement } from '../support/required-tools';

/**
 * The status page in a real browser (Debian's chromium through playwright-core), against the built daemon
 * polling the built-in simulator on loopback. Changes are made through the simulator's HTTP control
 * endpoints, as an operator would. Set STATUS_SCREENSHOT=docs/status-page.png to refresh the README image.
 */

const credentials = { accessKeyId: 'AKLTstatuspage', secretAccessKey: 'status-page-secret-never-printed' };
const HOSTILE = '<img src=x onerror=alert(1)>';
const APP = 'app-status';
const rooms = [
  { appId: APP, roomId: 'lobby', visible: 12, invisible: 3 },
  { appId: APP, roomId: 'stage', visible: 54, invisible: 2 },
  { appId: APP, roomId: 'quiet', visible: 0, invisible: 0 },
  { appId: 'app-other', roomId: 'backstage', visible: 5, invisible: 1 },
  ...Array.from({ length: 8 }, (_, i) => ({ appId: 'app-other', roomId: `breakout-${i + 1}`, visible: 2 + ((i * 7) % 11), invisible: i % 3 })),
];
const configured = [...rooms.map((r) => ({ appId: r.appId, roomId: r.roomId, ...(r.roomId === 'stage' ? { capacity: 60 } : {}) })), { appId: APP, roomId: HOSTILE }];

describeWithRequirements('status page in a browser', [chromiumRequirement(), fileRequirement('built daemon', existsSync(DAEMON_CLI), 'npm run build')], () => {
  let sim: Simulator;
  let simUrl: string;
  let daemon: RunningDaemon | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const dialogs: string[] = [];

  const control = async (path: string, body: unknown): Promise<void> => {
    const res = await fetch(`${simUrl}/_sim/${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`simulator control ${path}: ${res.status} ${await res.text()}`);
  };

  /** The rows the page shows now: room id → [total, invisible]. */
  const tableRows = (): Promise<Record<string, [string, string]>> =>
    page.$$eval('#rooms tbody tr[data-room]', (trs) =>
      Object.fromEntries(trs.map((tr) => [(tr as HTMLElement).dataset.room!, [tr.children[3]!.textContent!, tr.children[4]!.textContent!]])),
    );

  beforeAll(async () => {
    sim = new Simulator({ credentials, rooms: rooms.map((r) => ({ ...r, churn: { paused: true } })), seed: 11 });
    simUrl = await sim.start();
    daemon = await startDaemon({
      credentials,
      config: { api: { endpoint: simUrl, timeoutMs: 3000 }, rateLimit: { qps: 20 }, schedule: '*/1 * * * * *', events: { log: false }, rooms: configured },
    });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${daemon.url}/`);
  });

  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    await sim?.stop();
  });

  it('lists every configured room with the counts the simulator serves', async () => {
    await page.waitForFunction((n) => document.querySelectorAll('#rooms tbody tr[data-room]').length === n, configured.length);
    const shown = await tableRows();
    for (const r of rooms) {
      const snap = sim.world.snapshot(r.appId, r.roomId);
      expect([r.roomId, shown[r.roomId]]).toEqual([r.roomId, [String(snap.visibleCount + snap.invisibleCount), String(snap.invisibleCount)]]);
    }
    // Default order: most users first.
    const order = await page.$$eval('#rooms tbody tr[data-room]', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.room));
    expect(order[0]).toBe('stage');
    expect(await page.textContent('#room-count')).toContain(String(configured.length));
    expect(await page.getAttribute('a[href="metrics"]', 'href')).toBe('metrics');
  });

  it('shows each room\'s poll interval (round-robin: the period here) and no change rate', async () => {
    await page.waitForFunction((n) => document.querySelectorAll('#rooms tbody tr[data-room]').length === n, configured.length);
    const cells = await page.$$eval('#rooms tbody tr[data-room]', (trs) => trs.map((tr) => [tr.children[8]!.textContent, tr.children[9]!.textContent]));
    // A handful of rooms at qps 20 fit in the 1 s period: every room every second.
    expect(new Set(cells.map((c) => c.join(' ')))).toEqual(new Set(['1 s –']));
  });

  it('narrows the table with the filter and pages it', async () => {
    await page.fill('#filter', 'breakout');
    await page.waitForFunction(() => document.querySelectorAll('#rooms tbody tr[data-room]').length === 8);
    expect(Object.keys(await tableRows()).every((id) => id.startsWith('breakout-'))).toBe(true);
    await page.selectOption('#page-size', '25');
    await page.fill('#filter', 'lobby');
    await page.waitForFunction(() => [...document.querySelectorAll('#rooms tbody tr[data-room]')].map((tr) => (tr as HTMLElement).dataset.room).join() === 'lobby');
    await page.fill('#filter', '');
    await page.waitForFunction((n) => document.querySelectorAll('#rooms tbody tr[data-room]').length === n, configured.length);
  });

  it('sorts by a column when its header is clicked', async () => {
    await page.click('th[data-sort="roomId"]');
    await page.waitForFunction(() => document.querySelector('th[data-sort="roomId"]')?.getAttribute('aria-sort') === 'ascending');
    await page.waitForFunction(() => (document.querySelector('#rooms tbody tr[data-room]') as HTMLElement | null)?.dataset.room === '<img src=x onerror=alert(1)>');
    await page.click('th[data-sort="totalUsers"]');
    await page.waitForFunction(() => (document.querySelector('#rooms tbody tr[data-room]') as HTMLElement | null)?.dataset.room === 'stage');
  });

  it('shows a room view with the members the simulator serves', async () => {
    await page.click('#rooms tbody tr[data-room="lobby"] a');
    await page.waitForFunction(() => document.querySelectorAll('#visible li').length > 1);
    const snap = sim.world.snapshot(APP, 'lobby');
    const listed = (sel: string): Promise<string[]> => page.$$eval(sel, (lis) => lis.map((li) => li.textContent ?? ''));
    expect((await listed('#visible li')).sort()).toEqual([...snap.visible].sort());
    expect((await listed('#invisible li')).sort()).toEqual([...snap.invisible].sort());
    // Listed in natural order: u_lobby_2 before u_lobby_10.
    expect((await listed('#visible li')).indexOf('u_lobby_2')).toBeLessThan((await listed('#visible li')).indexOf('u_lobby_10'));
    expect(await page.textContent('#room-id')).toBe('lobby');
    // The chart's scale tops out at the room's occupancy, drawn from the points the daemon sampled.
    await page.waitForSelector('#room-chart svg circle.total');
    expect(await page.$$eval('#room-chart svg text', (ts) => ts.map((t) => t.textContent))).toContain(String(snap.visibleCount + snap.invisibleCount));
    expect(await page.getAttribute('#room-chart svg polyline.total', 'points')).toMatch(/^\d+(\.\d)?,\d+(\.\d)?/);
  });

  it('shows a join made in the simulator in the live feed and the room view', async () => {
    await control(`rooms/${APP}/lobby/members`, { userId: 'fresh-arrival', visibility: 'visible' });
    const item = page.locator('#feed-list li', { hasText: 'fresh-arrival' });
    await item.waitFor();
    expect(await item.locator('.type').textContent()).toBe('join');
    expect(await item.locator('a').textContent()).toBe('lobby');
    await page.waitForFunction(() => [...document.querySelectorAll('#visible li')].some((li) => li.textContent === 'fresh-arrival'));
    await page.waitForFunction(() => [...document.querySelectorAll('#room-events li')].some((li) => li.textContent?.includes('fresh-arrival')));
  });

  it('renders a hostile room id and user id as text', async () => {
    await control(`rooms/${APP}/${encodeURIComponent(HOSTILE)}/members`, { userId: HOSTILE, visibility: 'visible' });
    await page.locator('#feed-list li', { hasText: HOSTILE }).first().waitFor();
    await page.goto(`${daemon!.url}/#/room/${encodeURIComponent(APP)}/${encodeURIComponent(HOSTILE)}`);
    await page.waitForFunction((id) => [...document.querySelectorAll('#visible li')].some((li) => li.textContent === id), HOSTILE);
    expect(await page.textContent('#room-id')).toBe(HOSTILE);
    await page.goto(`${daemon!.url}/`);
    await page.fill('#filter', 'onerror');
    await page.waitForFunction(() => document.querySelectorAll('#rooms tbody tr[data-room]').length === 1);
    expect(await page.textContent('#rooms tbody tr[data-room] a')).toBe(HOSTILE);
    // Nothing was parsed as markup: no image element anywhere, no script ran.
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await page.fill('#filter', '');
  });

  it('filters the live feed by room', async () => {
    await page.fill('#feed-room', 'backstage');
    await page.waitForFunction(() => document.querySelector('#feed-list')?.children.length === 0);
    await page.waitForFunction(() => document.querySelector('#feed-state')?.textContent === 'live');
    await control(`rooms/${APP}/lobby/members`, { userId: 'not-for-this-filter' });
    await control('rooms/app-other/backstage/members', { userId: 'backstage-guest' });
    await page.locator('#feed-list li', { hasText: 'backstage-guest' }).waitFor();
    // The lobby join happened first; a filtered feed never shows it.
    expect(await page.locator('#feed-list li', { hasText: 'not-for-this-filter' }).count()).toBe(0);
    await page.fill('#feed-room', '');
  });

  it('shows the daemon state', async () => {
    await page.waitForFunction(() => document.querySelector('#ready')?.textContent === 'ready');
    expect(await page.textContent('#qps')).toMatch(/ \/ 20$/);
    expect(await page.textContent('#role')).toBe('single');
    expect(await page.textContent('#discovery')).toContain(`static: ok, ${configured.length} rooms`);
    const shot = process.env.STATUS_SCREENSHOT;
    if (shot) {
      // Some traffic for the picture, then the overview and a room view (<shot>-room.png).
      for (const r of ['lobby', 'stage']) await control('churn', { appId: APP, roomId: r, paused: false, joinsPerMinute: 40, leavesPerMinute: 40, visibilityChangesPerMinute: 10 });
      await page.goto(`${daemon!.url}/`);
      await page.waitForFunction((n) => document.querySelectorAll('#rooms tbody tr[data-room]').length === n, configured.length);
      await page.waitForFunction(() => document.querySelectorAll('#feed-list li').length >= 12, undefined, { timeout: 60_000 });
      await page.screenshot({ path: shot });
      await page.click('#rooms tbody tr[data-room="lobby"] a');
      await page.waitForFunction(() => document.querySelectorAll('#room-events li[data-id]').length >= 5, undefined, { timeout: 60_000 });
      await page.screenshot({ path: shot.replace(/\.png$/, '-room.png') });
    }
  });
});
