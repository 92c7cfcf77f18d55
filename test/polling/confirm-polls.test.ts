import { ConfirmPolls, ConfirmTarget } from '../../src/polling/confirm-polls';
import { FakeClock } from '../fakes/fake-clock';
import { memoryLogger } from '../fakes/recorders';

function setup(opts: { backlog?: number; rate?: number; pollMs?: number } = {}) {
  const clock = new FakeClock(0);
  const polls: { target: ConfirmTarget; atMs: number }[] = [];
  let backlog = opts.backlog ?? 0;
  const confirms = new ConfirmPolls({
    clock,
    delayMs: () => 1000,
    accountOf: (appId) => (appId === 'gone' ? undefined : 'acc'),
    poll: async (target) => {
      polls.push({ target, atMs: clock.now() });
      await clock.sleep(opts.pollMs ?? 10);
    },
    backlog: () => backlog,
    rate: () => opts.rate ?? 10,
    logger: memoryLogger().logger,
  });
  confirms.start();
  return { clock, polls, confirms, setBacklog: (n: number) => (backlog = n) };
}

describe('ConfirmPolls', () => {
  it('polls a room confirmAfterMs after its callback, once however many callbacks came', async () => {
    const { clock, polls, confirms } = setup();
    confirms.request('a', 'r1');
    await clock.advance(300);
    confirms.request('a', 'r1');
    confirms.request('a', 'r1');
    await clock.advance(699);
    expect(polls).toEqual([]);
    await clock.advance(1);
    expect(polls).toEqual([{ target: { appId: 'a', roomId: 'r1', account: 'acc' }, atMs: 1000 }]);
    await clock.advance(5000);
    expect(polls).toHaveLength(1);
    const stopped = confirms.stop();
    await clock.advance(100);
    await stopped;
  });

  it('a callback during a confirm poll gets a confirm of its own after that one', async () => {
    const { clock, polls, confirms } = setup({ pollMs: 2000 });
    confirms.request('a', 'r1');
    await clock.advance(1500);
    confirms.request('a', 'r1'); // due at 2500, while the first poll runs until 3000
    await clock.advance(3000);
    expect(polls.map((p) => p.atMs)).toEqual([1000, 3000]);
    const stopped = confirms.stop();
    await clock.advance(2000);
    await stopped;
  });

  it('rooms no longer watched are dropped', async () => {
    const { clock, polls, confirms } = setup();
    confirms.request('gone', 'r');
    await clock.advance(2000);
    expect(polls).toEqual([]);
    await confirms.stop();
  });

  it('with the sweep waiting, confirms take at most half the rate in any second; without it, all', async () => {
    const { clock, polls, confirms, setBacklog } = setup({ backlog: 50, rate: 10 });
    for (let i = 0; i < 30; i++) confirms.request('a', `r${i}`);
    await clock.advance(1000);
    expect(polls).toHaveLength(5);
    await clock.advance(999);
    expect(polls).toHaveLength(5);
    await clock.advance(1);
    expect(polls).toHaveLength(10);
    setBacklog(0);
    await clock.advance(100);
    expect(polls).toHaveLength(30);
    // Never more than 5 in a rolling second while the backlog held.
    const early = polls.slice(0, 10).map((p) => p.atMs);
    for (const t of early) expect(early.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(5);
    const stopped = confirms.stop();
    await clock.advance(100);
    await stopped;
  });

  it('stop drops pending confirms and waits for those in flight', async () => {
    const { clock, polls, confirms } = setup({ pollMs: 500 });
    confirms.request('a', 'r1');
    confirms.request('a', 'r2');
    await clock.advance(1000);
    confirms.request('a', 'r3');
    const stopped = confirms.stop();
    await clock.advance(500);
    await stopped;
    expect(polls.map((p) => p.target.roomId)).toEqual(['r1', 'r2']);
    confirms.request('a', 'r4');
    expect(confirms.pending()).toBe(0);
  });
});
