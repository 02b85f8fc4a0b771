/**
 * Request-smuggling probes over HTTP/1.1: ambiguous framing must be refused
 * with 400 and the connection closed, so nothing after the ambiguous part is
 * ever read as a second request (no desync); the backend never sees a probe,
 * and a normal client is served after every one. A well-framed request that
 * Portico refuses (two Host fields) must not let the request pipelined behind
 * it through either: before, that one reached the backend though the client
 * was told `connection: close`.
 */
import { expect, test } from 'vitest';
import { usePorticoBeforeBackend } from '../support/portico-before-backend.js';
import { exchangeRaw, normalGet } from '../support/raw-tcp-client.js';

const target = usePorticoBeforeBackend({ web: { address: '127.0.0.1:0' } });

// Each probe carries a smuggled second request for /smuggled; if it were ever parsed, a second status line would come back.
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: app.test\r\n\r\n';
const probes: Record<string, string> = {
  'CL and TE': `POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  'TE obfuscated (space before colon)': `POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  'TE obfuscated (xchunked)': `POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  'TE chunked not last': `POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  'TE vertical tab': `POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  'double Content-Length': `POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n${SMUGGLED}`,
  'Content-Length list': `POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 0, 44\r\n\r\n${SMUGGLED}`,
  'Content-Length sign': `POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: +44\r\n\r\n${SMUGGLED}`,
  'bare LF in the head': `POST / HTTP/1.1\nHost: app.test\nContent-Length: 44\n\n${SMUGGLED}`,
  'obs-fold': `POST / HTTP/1.1\r\nHost: app.test\r\nX-Folded: a\r\n b\r\nContent-Length: 44\r\n\r\n${SMUGGLED}`,
  'bad chunk size': `POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n\r\n${SMUGGLED}`,
  'chunk extension with bare LF': `POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n0;x\n\r\n${SMUGGLED}`,
  'NUL in a header value': `GET / HTTP/1.1\r\nHost: app.test\r\nX-Nul: a\x00b\r\n\r\n${SMUGGLED}`,
  'space in the header name': `GET / HTTP/1.1\r\nHost: app.test\r\nX Bad: a\r\n\r\n${SMUGGLED}`,
  'two Host headers': `GET / HTTP/1.1\r\nHost: app.test\r\nHost: evil.test\r\n\r\n${SMUGGLED}`,
};

for (const [name, bytes] of Object.entries(probes))
  test(`${name}: 400, connection closed, nothing smuggled`, async () => {
    const port = target.portico.port('web');
    const before = target.backend.requests;
    const { response, closed } = await exchangeRaw(port, bytes, 3000);
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response.match(/HTTP\/1\.1 \d{3} /g)).toHaveLength(1);
    expect(closed).toBe(true);
    expect(target.backend.requests).toBe(before);
    expect(await normalGet(port)).toMatchObject({ status: 200 });
  });
