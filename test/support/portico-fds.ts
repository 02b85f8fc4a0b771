/**
 * Open file descriptors of this process (Linux /proc), for tests that run
 * Portico in-process: once an attacker's sockets are destroyed on the client
 * side, whatever remains above the baseline is Portico holding connections.
 */
import { readdirSync } from 'node:fs';

export function openFileDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}
