/**
 * The UDP address a datagram came from or goes to. The connection compares
 * it with the current path to notice migration and NAT rebinding (RFC 9000
 * §9); it never opens a socket itself.
 */
export interface PeerAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

export function sameAddress(a: PeerAddress, b: PeerAddress): boolean {
  return a.port === b.port && a.address === b.address;
}

/** A copy the connection keeps (the driver may reuse its object for the next datagram). */
export function copyAddress(a: PeerAddress): PeerAddress {
  return { address: a.address, port: a.port, family: a.family };
}
