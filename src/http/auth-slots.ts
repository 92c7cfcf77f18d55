import { isIPv6 } from 'node:net';

/**
 * Who may start a bcrypt check. Checks are expensive and few may be pending at once; without a rule per
 * client, one address sending wrong passwords in a loop keeps every slot taken and everyone else,
 * including the scraper with the right password, is answered "busy". So:
 * - one address holds at most `perClient` pending checks (its fair share);
 * - the last `reserved` slots go only to addresses with nothing pending, so a few flooding addresses
 *   together still leave room for a newcomer.
 * A flood spread over many addresses can still fill every slot; a credential already known good never
 * needs one (BasicAuth checks its cache first).
 */
export class AuthSlots {
  private total = 0;
  private readonly byClient = new Map<string, number>();
  private readonly perClient: number;
  private readonly reserved: number;

  constructor(
    private readonly max: number,
    perClient: number,
    reserved: number,
  ) {
    this.perClient = Math.max(1, Math.min(perClient, max));
    // Never more reserve than the slots left over after one client's share, or that client gets fewer.
    this.reserved = Math.max(0, Math.min(reserved, max - this.perClient));
  }

  /** Take a slot for `client`; false when it may not start a check now. Give it back with `release`. */
  take(client: string): boolean {
    const mine = this.byClient.get(client) ?? 0;
    if (this.total >= this.max || mine >= this.perClient) return false;
    if (mine > 0 && this.total >= this.max - this.reserved) return false;
    this.total++;
    this.byClient.set(client, mine + 1);
    return true;
  }

  release(client: string): void {
    const mine = this.byClient.get(client) ?? 0;
    if (mine <= 1) this.byClient.delete(client);
    else this.byClient.set(client, mine - 1);
    this.total = Math.max(0, this.total - 1);
  }

  get pending(): number {
    return this.total;
  }
}

/**
 * The client a request counts against: its address, or for IPv6 its /64 (one host or one customer
 * usually has a whole /64, and could otherwise take a fair share per address it picks from it).
 * IPv4-mapped IPv6 addresses count as their IPv4 address.
 */
export function clientKey(address: string | undefined): string {
  if (!address) return '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const bare = address.split('%')[0]!.toLowerCase();
  const [head = '', tail] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (a.b.c.d) takes two groups; it only ever sits in the last 64 bits.
  const width = (groups: string[]): number => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - width(left) - width(right))).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
