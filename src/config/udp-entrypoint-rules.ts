/**
 * What a UDP entrypoint (`:53/udp`) may say, and the UDP ports entrypoints
 * claim. A UDP entrypoint carries UDP routers only, so the HTTP keys of an
 * entrypoint would do nothing there and are refused by name; `udp` does
 * nothing on a TCP entrypoint and is refused there. HTTP/3 is the UDP side of
 * a TCP entrypoint: it and a UDP entrypoint cannot share a port, and the
 * clash is named here rather than left to fail as EADDRINUSE at start.
 */
import type { EntryPointConfig } from './static-config.js';
import { parseDurationMs } from './duration.js';
import { isUdpEntryPoint, parseListenAddress } from './listen-address.js';

export interface UdpEntryPointProblem {
  path: string;
  message: string;
}

/** Keys a UDP entrypoint accepts; `transport` only for its `lifeCycle.graceTimeOut`. */
const UDP_KEYS = new Set(['address', 'udp', 'transport']);

export function udpEntryPointProblems(entryPoints: Record<string, EntryPointConfig>): UdpEntryPointProblem[] {
  const problems: UdpEntryPointProblem[] = [];
  const claims: Array<{ name: string; kind: string; host: string | undefined; port: number }> = [];
  for (const [name, ep] of Object.entries(entryPoints)) {
    const at = `entryPoints.${name}`;
    let address: { host: string | undefined; port: number };
    try {
      address = parseListenAddress(ep.address);
    } catch {
      continue; // reported with the address already
    }
    if (!isUdpEntryPoint(ep)) {
      if (ep.udp)
        problems.push({
          path: `${at}.udp`,
          message: `applies to UDP entrypoints only; this one listens on TCP ("${ep.address}"). Write the address as ":<port>/udp" for a UDP entrypoint`,
        });
      if (ep.http3?.enabled) claims.push({ name, kind: 'its HTTP/3', host: address.host, port: address.port });
      continue;
    }
    for (const key of Object.keys(ep))
      if (!UDP_KEYS.has(key))
        problems.push({ path: `${at}.${key}`, message: `applies to TCP entrypoints only; "${name}" listens on UDP ("${ep.address}") and carries UDP routers` });
    const transport = ep.transport ?? {};
    for (const key of Object.keys(transport))
      if (key !== 'lifeCycle')
        problems.push({
          path: `${at}.transport.${key}`,
          message: `applies to TCP entrypoints only; a UDP entrypoint takes transport.lifeCycle.graceTimeOut and udp.timeout`,
        });
    if (transport.lifeCycle?.requestAcceptGraceTimeout !== undefined)
      problems.push({ path: `${at}.transport.lifeCycle.requestAcceptGraceTimeout`, message: 'applies to TCP entrypoints only' });
    if (ep.udp?.timeout !== undefined) {
      try {
        if (parseDurationMs(ep.udp.timeout) <= 0) problems.push({ path: `${at}.udp.timeout`, message: 'must be more than 0' });
      } catch (err) {
        problems.push({ path: `${at}.udp.timeout`, message: (err as Error).message });
      }
    }
    claims.push({ name, kind: 'a UDP entrypoint', host: address.host, port: address.port });
  }
  // Port 0 asks the system for a free port: two of those never clash.
  const fixed = claims.filter((c) => c.port !== 0);
  for (let i = 0; i < fixed.length; i++)
    for (let j = i + 1; j < fixed.length; j++) {
      const a = fixed[i]!;
      const b = fixed[j]!;
      if (a.port !== b.port || (a.host !== undefined && b.host !== undefined && a.host !== b.host)) continue;
      problems.push({
        path: `entryPoints.${b.name}.address`,
        message: `UDP port ${b.port} is claimed by entrypoint "${a.name}" (${a.kind}) and by "${b.name}" (${b.kind}); a UDP entrypoint shares no port with HTTP/3 or another UDP entrypoint: give one of them another port`,
      });
    }
  return problems;
}
