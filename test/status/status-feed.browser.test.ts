/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// DOM types for the callbacks that run inside the page (waitForFunction, $$eval).
import type { Browser, Page } from 'playwright-core';
import { HttpServer } from '../../src/http/server';
import type { RoomEvent } from '../../src/rooms/room-event';
import { MemoryEventFeed } from '../../src/status/memory-event-feed';
import { StatusPage } from '../../src/status/status-page';
import { memoryLogger } from '../fakes/recorders';
import { chromiumRequirement, launchBrowser } from '../support/browser';
import { describeWithRequirements } from '../support/required-tools';

/**
 * The page's live feed across a reconnect, in a real browser, against the status routes in this process
 * (so the test can end the streams and add events while the browser is away): an event committed while
 * the page was disconnected must appear once it is back, and nothing it already had may appear twice.
 */

const ev = (userId: string): Omit<RoomEvent, 'id'> => ({ time: new Date().toISOString(), type: 'join', appId: 'app', roomId: 'lobby', userId, visibility: 'visible' });
/** The store numbers committed events; these tests stand in for it (1, 2, 3, ... per feed). */
const numbered = new WeakMap<object, number>();
const emit = (feed: MemoryEventFeed, events: Omit<RoomEvent, 'id'>[]): void => {
  let n = numbered.get(feed) ?? 0;
  feed.emit(events.map((e) => ({ ...e, id: ++n })));
  numbered.set(feed, n);
};

describeWithRequirements('status page live feed across reconnects', [chromiumRequirement()], () => {
  const log = memoryLogger();
  const feed = new MemoryEventFeed(100);
  let status: StatusPage;
  let server: HttpServer;
  let browser: Browser | undefined;
  let page: Page;
  /** While set, the stream answers 503: the browser's EventSource gives up and the page reopens it itself. */
  let refuseStreams = false;

  const feedUsers = (): Promise<string[]> => page.$$eval('#feed-list li .user', (els) => els.map((e) => e.textContent ?? ''));

  beforeAll(async () => {
    status = new StatusPage({
      rooms: { rooms: () => [], room: () => undefined },
      counts: { forEachRoom: () => undefined, roomSetVersion: () => 0, hasRoom: () => true },
      feed,
      status: () => ({ version: 't', ready: true, role: 'single', startTime: new Date().toISOString(), rooms: 0, accounts: [], cycles: { completed: 0, lastDurationSeconds: null, lastCompletedTime: null, overruns: 0, pollIntervalSeconds: 1 }, discovery: [], latestEventId: feed.latestId() }),
      clock: { now: () => Date.now(), sleep: () => Promise.resolve() },
      logger: log.logger,
      stream: { heartbeatMs: 60_000, maxBufferedBytes: 1 << 20, batchLimit: 100, retryMs: 200 },
    });
    server = new HttpServer({ metrics: async () => ({ contentType: 'text/plain', body: [] }), ready: () => true, reload: async () => undefined, routes: (req, res, p) => {
      if (refuseStreams && p === '/api/events/stream') {
        res.writeHead(503).end();
        return true;
      }
      return status.handle(req, res, p);
    } }, log.logger);
    const addr = await server.listen('127.0.0.1', 0);
    browser = await launchBrowser();
    page = await browser.newPage();
    emit(feed, [ev('before-load')]);
    await page.goto(`http://127.0.0.1:${addr.port}/`);
  });

  afterAll(async () => {
    await browser?.close();
    status?.close();
    await server?.close();
  });

  it('opens with the recent events, then resumes after a dropped stream without losing or repeating one', async () => {
    await page.waitForFunction(() => document.querySelector('#feed-state')?.textContent === 'live');
    await page.waitForFunction(() => [...document.querySelectorAll('#feed-list li .user')].some((e) => e.textContent === 'before-load'));
    emit(feed, [ev('while-connected')]);
    await page.waitForFunction(() => [...document.querySelectorAll('#feed-list li .user')].some((e) => e.textContent === 'while-connected'));

    // The server ends every stream and refuses new ones until the event below is committed, so the page
    // can only get it by resuming from its last id.
    refuseStreams = true;
    status.stream.closeAll();
    await page.waitForFunction(() => document.querySelector('#feed-state')?.textContent === 'reconnecting');
    emit(feed, [ev('while-away')]);
    expect(status.stream.clientCount()).toBe(0);
    refuseStreams = false;

    await page.waitForFunction(() => [...document.querySelectorAll('#feed-list li .user')].some((e) => e.textContent === 'while-away'));
    expect(await page.textContent('#feed-state')).toBe('live');
    expect(await feedUsers()).toEqual(['while-away', 'while-connected', 'before-load']);
  });

  it("shows what saw each event: a callback, or a poll (also for events that carry no source)", async () => {
    emit(feed, [{ ...ev('by-callback'), source: 'callback' }, { ...ev('by-poll'), source: 'poll' }]);
    await page.waitForFunction(() => [...document.querySelectorAll('#feed-list li .user')].some((e) => e.textContent === 'by-poll'));
    const via = await page.$$eval('#feed-list li', (lis) => lis.map((li) => `${li.querySelector('.user')?.textContent}:${li.querySelector('.via')?.textContent}`));
    expect(via.slice(0, 3)).toEqual(['by-poll:poll', 'by-callback:callback', 'while-away:poll']);
  });
});
