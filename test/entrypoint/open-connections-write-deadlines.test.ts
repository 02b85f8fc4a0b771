/**
 * writeTimeout (Traefik's meaning, the whole response) against a real
 * Portico: a response not finished in time is cut and counted, one that is
 * finished in time is untouched.
 */
import { expect, test } from 'vitest';
import { usePorticoBeforeBackend } from '../support/portico-before-backend.js';
import { normalGet } from '../support/raw-tcp-client.js';
import { normalH2Get } from '../support/h2-frames.js';

const transport = { respondingTimeouts: { writeTimeout: '1s' } };
const target = usePorticoBeforeBackend({ web: { address: '127.0.0.1:0', transport }, websecure: { address: '127.0.0.1:0', http: { tls: {} }, transport } });

const writeTimeouts = async (entrypoint: string) =>
  Number(
    new RegExp(`portico_entrypoint_timeouts_total\\{entrypoint="${entrypoint}",phase="write"\\} (\\d+)`).exec(
      await target.portico.server.metrics.registry.metrics(),
    )?.[1] ?? 0,
  );

test('h1 and h2: a response still under way after writeTimeout is cut and counted; a quick one is served', async () => {
  const started = performance.now();
  const [h1, h2] = await Promise.all([
    normalGet(target.portico.port('web'), '/slow?ms=8000', 'app.test', 10000),
    normalH2Get(target.portico.port('websecure'), '/slow?ms=8000', 'app.test', 10000),
  ]);
  expect(h1).toHaveProperty('error');
  expect(h2).toHaveProperty('error');
  expect(performance.now() - started).toBeLessThan(5000);
  expect(await writeTimeouts('web')).toBe(1);
  expect(await writeTimeouts('websecure')).toBe(1);
  expect(await normalGet(target.portico.port('web'), '/slow?ms=200')).toMatchObject({ status: 200 });
  expect(await normalH2Get(target.portico.port('websecure'), '/slow?ms=200')).toEqual({ status: 200 });
});
