import { CpuProfile, summarize } from '../../bench/profile-top';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

/** root → poll (daemon) → request (axios) → write (node); root → (idle); root → (garbage collector). */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 6] },
    { id: 2, callFrame: frame('poll', 'file:///r/dist/src/polling/room-poller.js', 10), children: [3] },
    { id: 3, callFrame: frame('request', 'file:///r/node_modules/axios/dist/node/axios.cjs', 99), children: [4] },
    { id: 4, callFrame: frame('write', 'node:net', 5) },
    { id: 5, callFrame: frame('(idle)') },
    { id: 6, callFrame: frame('(garbage collector)') },
  ],
  // 1 ms each: poll 2, request 1, write 3, idle 10, GC 4; the first sample is start-up.
  samples: [2, 2, 3, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6],
  timeDeltas: Array<number>(20).fill(1000),
};

describe('profile-top summarize', () => {
  it('charges busy time by kind, by nearest own or package frame, and inclusively within a URL', () => {
    const s = summarize(profile, { within: 'axios' });
    expect(s.busyMs).toBe(10);
    expect(Object.fromEntries(s.byKind)).toEqual({ daemon: 20, 'npm:axios': 10, 'node internals': 30, '(garbage collector)': 40 });
    // Node's write under axios is axios' cost.
    expect(Object.fromEntries(s.byOwner)).toEqual({ 'daemon:polling': 20, 'npm:axios': 40, '(garbage collector)': 40 });
    expect(s.topWithin).toEqual([['request axios/dist/node/axios.cjs:100', 40]]);
  });

  it('leaves out the first seconds when asked', () => {
    expect(summarize(profile, { skipMs: 1 }).busyMs).toBe(9);
  });
});
