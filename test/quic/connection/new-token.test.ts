/**
 * NEW_TOKEN (RFC 9000 §8.1.3, §19.7): a server given a token function sends
 * one token for the client's validated address once the handshake is
 * confirmed, again if it is lost; the client keeps the last one.
 */
import { describe, expect, it } from 'vitest';
import { AddressedNetwork } from './fake-clock-network.js';

describe('NEW_TOKEN', () => {
  it('the server sends the listener-made token for the validated address, also when its first packets are lost', () => {
    const asked: string[] = [];
    const n = new AddressedNetwork({
      newToken: (address) => {
        asked.push(`${address?.address}:${address?.port}`);
        return Buffer.from(`token for ${address?.address}`);
      },
    });
    // Lose the server's first three 1-RTT-only datagrams (HANDSHAKE_DONE and NEW_TOKEN go in them).
    let lost = 0;
    n.dropToClient = (d) => (d[0]! & 0x80) === 0 && lost++ < 3;
    n.established();
    n.run(() => n.client.newToken !== undefined, 10_000);
    expect(lost).toBeGreaterThan(3); // three were dropped
    expect(n.client.newToken?.toString()).toBe('token for 10.0.0.1');
    expect(asked).toEqual(['10.0.0.1:5000']);
  });

  it('no token function, no NEW_TOKEN', () => {
    const n = new AddressedNetwork();
    n.established();
    n.client.ping();
    n.run(() => false, 500);
    expect(n.client.newToken).toBeUndefined();
  });
});
