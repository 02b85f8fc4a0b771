/** Real h1 and h2 clients for observability tests (h3: test/middleware/support/h3-request.ts). */
import https from 'node:https';
import http from 'node:http';
import http2 from 'node:http2';

export interface SimpleResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP/1.1 request (https unless `plain`), a fresh connection each time. */
export function h1Request(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; plain?: boolean } = {},
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const lib = opts.plain ? http : https;
    const req = lib.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { host: `localhost:${port}`, ...opts.headers },
        servername: 'localhost',
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('h1 request timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** One HTTP/2 request over TLS on its own session. */
export async function h2Request(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<SimpleResponse> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, servername: 'localhost' });
  try {
    return await new Promise((resolve, reject) => {
      session.on('error', reject);
      const stream = session.request(
        { ':method': opts.method ?? 'GET', ':path': path, ':authority': `localhost:${port}`, ...opts.headers },
        { endStream: opts.body === undefined },
      );
      let status = 0;
      let headers: Record<string, string | string[] | undefined> = {};
      let body = '';
      stream.setEncoding('utf8');
      stream.on('response', (h) => {
        status = Number(h[':status']);
        headers = h as typeof headers;
      });
      stream.on('data', (c: string) => (body += c));
      stream.on('end', () => resolve({ status, headers, body }));
      stream.on('error', reject);
      stream.setTimeout(10_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
      if (opts.body !== undefined) stream.end(opts.body);
    });
  } finally {
    session.close();
  }
}
