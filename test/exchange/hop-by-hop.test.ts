import { expect, test } from 'vitest';
import { stripHopByHop } from '../../src/exchange/hop-by-hop.js';

test('hop-by-hop headers and those named in Connection are removed; te: trailers survives on requests', () => {
  const h: Record<string, string | string[] | undefined> = {
    connection: 'keep-alive, X-Secret',
    'keep-alive': 'timeout=5',
    'x-secret': 'leak',
    te: 'trailers, deflate',
    upgrade: 'h2c',
    'transfer-encoding': 'chunked',
    'proxy-authorization': 'Basic x',
    accept: '*/*',
  };
  stripHopByHop(h, true);
  expect(h).toEqual({ accept: '*/*', te: 'trailers' });
  const r: Record<string, string | undefined> = { te: 'trailers', trailer: 'x', 'content-type': 'a' };
  stripHopByHop(r, false);
  expect(r).toEqual({ 'content-type': 'a' });
});
