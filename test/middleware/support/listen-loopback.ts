/** Start a test server on a free loopback port; resolves with its http:// URL. */
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';

export async function listenLoopback(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
