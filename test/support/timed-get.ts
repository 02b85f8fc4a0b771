/**
 * The "normal client" of the hostile tests: one GET over h1 or h2 to Portico's
 * TLS entrypoint, given up after a deadline. Resolves with the status and body
 * length, or with what went wrong ('timeout', 'error: …'); never hangs.
 */
import https from 'node:https';
import http2 from 'node:http2';

export type TimedResult = { status: number; bytes: number } | { failed: string };

export function timedGetH1(port: number, path: string, timeoutMs: number, host = 'localhost'): Promise<TimedResult> {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path, headers: { host }, rejectUnauthorized: false, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.once('end', () => done({ status: res.statusCode ?? 0, bytes }));
      res.once('error', (e) => done({ failed: `error: ${e.message}` }));
    });
    const timer = setTimeout(() => {
      done({ failed: 'timeout' });
      req.destroy();
    }, timeoutMs);
    let settled = false;
    const done = (r: TimedResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    req.once('error', (e) => done({ failed: `error: ${e.message}` }));
  });
}

export function timedGetH2(port: number, path: string, timeoutMs: number, host = 'localhost'): Promise<TimedResult> {
  return new Promise((resolve) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, servername: 'localhost' });
    session.on('error', (e) => done({ failed: `error: ${e.message}` }));
    const stream = session.request({ ':path': path, ':authority': host });
    let status = 0;
    let bytes = 0;
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (c: Buffer) => (bytes += c.length));
    stream.once('end', () => done({ status, bytes }));
    stream.once('error', (e) => done({ failed: `error: ${e.message}` }));
    const timer = setTimeout(() => done({ failed: 'timeout' }), timeoutMs);
    let settled = false;
    const done = (r: TimedResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(r);
    };
  });
}
