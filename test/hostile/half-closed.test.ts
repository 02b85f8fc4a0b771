/**
 * Half-closed sockets: a client that sends part of a request head and then
 * half-closes (FIN) while keeping its socket must have Portico's side closed
 * at once, not held until a timeout; a complete request followed by FIN still
 * gets its answer (or a clean close), and normal clients are served meanwhile.
 */
import { expect, test } from 'vitest';
import { usePorticoBeforeBackend } from '../support/portico-before-backend.js';
import { normalGet, openRawConnection, within } from '../support/raw-tcp-client.js';
import { clientOpening, normalH2Get } from '../support/h2-frames.js';

const target = usePorticoBeforeBackend({ web: { address: '127.0.0.1:0' }, websecure: { address: '127.0.0.1:0', http: { tls: {} } } });

test('h1: partial heads then FIN, 200 connections: all closed by Portico within a second or two; normal client served', async () => {
  const port = target.portico.port('web');
  const conns = await Promise.all(Array.from({ length: 200 }, () => openRawConnection(port)));
  try {
    for (const c of conns) {
      c.write('GET / HTTP/1.1\r\nHost: app.test\r\nX-Partial: ');
      c.socket.end();
    }
    expect(await normalGet(port)).toMatchObject({ status: 200 });
    expect(await within(Promise.all(conns.map((c) => c.closed)), 3000)).toBe(true);
  } finally {
    for (const c of conns) c.socket.destroy();
  }
});

test('h1: a complete request then FIN is answered or cleanly closed, never left open', async () => {
  const c = await openRawConnection(target.portico.port('web'));
  c.write('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
  c.socket.end();
  expect(await within(c.closed, 3000)).toBe(true);
  const response = c.received().toString('latin1');
  if (response) expect(response).toMatch(/^HTTP\/1\.1 200 /);
});

test('h2 over TLS: preface then FIN, 100 connections: all closed promptly; normal client served', async () => {
  const port = target.portico.port('websecure');
  const conns = await Promise.all(Array.from({ length: 100 }, () => openRawConnection(port, '127.0.0.1', ['h2'])));
  try {
    for (const c of conns) {
      c.write(clientOpening());
      c.socket.end();
    }
    expect(await normalH2Get(port)).toEqual({ status: 200 });
    expect(await within(Promise.all(conns.map((c) => c.closed)), 8000)).toBe(true);
  } finally {
    for (const c of conns) c.socket.destroy();
  }
});
