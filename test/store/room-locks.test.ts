import { RoomLocks } from '../../src/store/room-locks';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('RoomLocks', () => {
  it('runs one task at a time per room, in order, and tasks of other rooms beside them', async () => {
    const locks = new RoomLocks();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a1 = locks.run(['a'], async () => {
      log.push('a1 start');
      await gate;
      log.push('a1 end');
    });
    const a2 = locks.run(['a'], async () => void log.push('a2'));
    const b1 = locks.run(['b'], async () => void log.push('b1'));
    await tick();
    expect(log).toEqual(['a1 start', 'b1']);
    release();
    await Promise.all([a1, a2, b1]);
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
    expect(locks.held()).toBe(0);
  });

  it('a task over several rooms waits for all of them and holds them all; crossing batches never deadlock', async () => {
    const locks = new RoomLocks();
    const log: string[] = [];
    const ab = locks.run(['a', 'b'], async () => {
      await tick();
      log.push('ab');
    });
    const ba = locks.run(['b', 'a', 'b'], async () => void log.push('ba'));
    const c = locks.run(['c'], async () => void log.push('c'));
    await Promise.all([ab, ba, c]);
    expect(log).toEqual(['c', 'ab', 'ba']);
  });

  it('a failed task releases its rooms and rejects only its own caller', async () => {
    const locks = new RoomLocks();
    const failed = locks.run(['a'], async () => {
      throw new Error('commit failed');
    });
    const next = locks.run(['a'], async () => 'ran');
    await expect(failed).rejects.toThrow('commit failed');
    await expect(next).resolves.toBe('ran');
  });
});
