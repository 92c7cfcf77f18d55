import { parseStatTicks, parseStatusKb } from '../../bench/proc-usage';

describe('/proc parsers', () => {
  it('reads utime and stime even when the command name has spaces and parentheses', () => {
    const fields = ['S', '1', '2', '3', '0', '-1', '4194560', '100', '0', '0', '0', '1234', '567', '0', '0', '20', '0', '11'];
    const stat = `4242 (node (bench) x) ${fields.join(' ')}\n`;
    expect(parseStatTicks(stat)).toEqual({ user: 1234, system: 567 });
  });

  it('rejects a line it cannot read', () => {
    expect(() => parseStatTicks('garbage')).toThrow(/unreadable/);
  });

  it('reads a kB line of /proc/<pid>/status as bytes', () => {
    const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
    expect(parseStatusKb(status, 'VmRSS')).toBe(102400 * 1024);
    expect(parseStatusKb(status, 'VmHWM')).toBe(204800 * 1024);
    expect(() => parseStatusKb(status, 'VmSwap')).toThrow(/VmSwap/);
  });
});
