/** One HTTPS GET, its body read whole; fails on a 5 s stall. */
import { request, type RequestOptions } from 'node:https';

export function httpsGet(options: RequestOptions | string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(typeof options === 'string' ? new URL(options) : options, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
