/**
 * portico/testing's real-Portico helper (src/testing/plugin-in-portico.ts)
 * with the shipped request-id example: it must load the module the way
 * Portico does, serve real requests through it, and refuse what Portico
 * refuses with Portico's own words. Needs `npm run build` (dist/plugins/).
 */
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { startPluginInPortico } from '../../src/testing/index.js';

const requestId = resolve('dist/plugins/examples/request-id/index.js');

describe('startPluginInPortico', () => {
  test('serves requests through the loaded plugin to a real backend', async () => {
    const portico = await startPluginInPortico({ module: requestId, options: { headerName: 'X-Trace' } });
    try {
      const res = await portico.request('/a/b?c=1', { method: 'POST', body: 'hello' });
      expect(res.status).toBe(200);
      const id = res.headers['x-trace'];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(portico.backendRequests).toHaveLength(1);
      expect(portico.backendRequests[0]).toMatchObject({ method: 'POST', url: '/a/b?c=1', headers: { 'x-trace': id } });
      expect(portico.backendRequests[0]!.body.toString()).toBe('hello');
      expect(JSON.parse(res.text)).toMatchObject({ method: 'POST', bodyBytes: 5 });
      expect(portico.errors).toEqual([]);
    } finally {
      await portico.stop();
    }
  });

  test('a custom backend answers behind the plugin', async () => {
    const portico = await startPluginInPortico({
      module: requestId,
      backend: (_req, _body, res) => {
        res.writeHead(418, { 'content-type': 'text/plain' });
        res.end('teapot');
      },
    });
    try {
      const res = await portico.request('/');
      expect([res.status, res.text]).toEqual([418, 'teapot']);
      expect(res.headers['x-request-id']).toBeDefined();
    } finally {
      await portico.stop();
    }
  });

  test('refuses options the plugin refuses, naming the field', async () => {
    await expect(startPluginInPortico({ module: requestId, options: { headerName: 'bad name' } })).rejects.toThrow(
      /Portico refused the plugin:\nhttp\.middlewares\.plugin@file\.requestId\.headerName: must match/,
    );
  });

  test('reports a module that cannot be loaded as Portico logs it', async () => {
    await expect(startPluginInPortico({ module: resolve('dist/plugins/examples/no-such/index.js') })).rejects.toThrow(
      /experimental\.plugins\.underTest \(.*no-such\/index\.js\): no such file/,
    );
  });
});
