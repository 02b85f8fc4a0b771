/**
 * Sets of IP addresses and CIDR ranges (ClientIP rules, ipAllowList,
 * forwarded-header trust) on Node's native net.BlockList. Addresses are
 * normalised first: zones dropped, IPv4-mapped IPv6 (`::ffff:1.2.3.4`)
 * treated as the IPv4 address it carries.
 */
import { BlockList, isIP } from 'node:net';

export function normalizeClientAddress(address: string): string {
  let a = address;
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  if (a.length > 7 && a.charCodeAt(0) === 58 && /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a)) a = a.slice(7);
  return a;
}

export class IpRangeSet {
  private readonly list = new BlockList();
  readonly size: number;

  /** @throws Error naming the first entry that is neither an IP nor a CIDR. */
  constructor(ranges: readonly string[]) {
    for (const raw of ranges) {
      const entry = raw.trim();
      const slash = entry.indexOf('/');
      const ip = normalizeClientAddress(slash >= 0 ? entry.slice(0, slash) : entry);
      const family = isIP(ip);
      if (!family) throw new Error(`"${raw}" is not an IP address or CIDR range`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (slash < 0) {
        this.list.addAddress(ip, type);
        continue;
      }
      let prefix = Number(entry.slice(slash + 1));
      // `::ffff:10.0.0.0/104` is the IPv4 range 10.0.0.0/8 written as IPv6.
      const mapped = family === 4 && entry.slice(0, slash).includes(':');
      if (mapped) prefix -= 96;
      if (!/^\d+$/.test(entry.slice(slash + 1)) || prefix < 0 || prefix > (family === 4 ? 32 : 128))
        throw new Error(`"${raw}": prefix length must be 0..${family === 4 ? 32 : 128}`);
      this.list.addSubnet(ip, prefix, type);
    }
    this.size = ranges.length;
  }

  contains(address: string): boolean {
    const ip = normalizeClientAddress(address);
    const family = isIP(ip);
    if (!family) return false;
    return this.list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }
}
