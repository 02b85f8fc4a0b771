/** Parse an entrypoint address: `:8443` (every interface, both families), `127.0.0.1:8443`, `[::1]:8443`, `localhost:8443`. */
export interface ListenAddress {
  /** undefined = all interfaces (IPv4 and IPv6). */
  host: string | undefined;
  port: number;
}

export function parseListenAddress(address: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.%\w]+)\]|([^:[\]]*))?:(\d{1,5})(?:\/(tcp|udp))?$/.exec(address.trim());
  if (!m) throw new Error(`"${address}" is not an address; use ":8443", "127.0.0.1:8443" or "[::1]:8443"`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`port ${port} is out of range`);
  const host = m[1] ?? (m[2] || undefined);
  return { host, port };
}

/** The transport an entrypoint listens on: Traefik's `/udp` suffix, else TCP (`/tcp` or nothing). */
export function listenProtocol(address: string): 'tcp' | 'udp' {
  return /\/udp$/.test(address.trim()) ? 'udp' : 'tcp';
}

/** A UDP entrypoint (`:53/udp`) carries UDP routers only: no HTTP, no TLS, no HTTP/3. */
export function isUdpEntryPoint(ep: { address: string }): boolean {
  return listenProtocol(ep.address) === 'udp';
}
