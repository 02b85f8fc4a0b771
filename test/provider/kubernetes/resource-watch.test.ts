/**
 * ResourceWatch through the real client library against FakeApiServer: paged
 * lists, watches from the list's resourceVersion with bookmarks, resuming
 * after a dropped stream or a server timeout without relisting, relisting
 * after 410 Gone (as an ERROR event, an HTTP status, or an expired continue
 * token), 403 reported and recovered from, and periodic resync.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { FakeApiServer } from './fake-apiserver.js';
import { loadKubeConfig } from '../../../src/provider/kubernetes/kube-config.js';
import { builtinCollection } from '../../../src/provider/kubernetes/collections.js';
import { ResourceWatch, type ResourceWatchOptions } from '../../../src/provider/kubernetes/resource-watch.js';

let api: FakeApiServer;
const started: ResourceWatch[] = [];
let ns = 0;

beforeAll(async () => {
  api = new FakeApiServer();
  await api.start();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.stop()));
  api.forbidden.clear();
  api.staleWatchAnswer = 'event';
});
afterAll(() => api?.stop());

const secret = (namespace: string, name: string, value = 'x') => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace },
  stringData: { v: value },
});

/** A watch of the Secrets of a fresh namespace, with a log of what it reported. */
function watchSecrets(extra: Partial<ResourceWatchOptions> = {}) {
  const namespace = `ns${++ns}`;
  const log = { changes: 0, errors: [] as Array<string | undefined> };
  const w = new ResourceWatch(loadKubeConfig({ endpoint: api.url }), builtinCollection(loadKubeConfig({ endpoint: api.url }), 'Secret', namespace), {
    backoffMs: 20,
    onChange: () => log.changes++,
    onError: (e) => log.errors.push(e),
    ...extra,
  });
  started.push(w);
  return { w, namespace, log, path: `/api/v1/namespaces/${namespace}/secrets` };
}

const names = (w: ResourceWatch) =>
  w
    .list()
    .map((o) => o.metadata!.name)
    .sort();
async function until(what: string, pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('ResourceWatch', () => {
  test('lists in pages, then watches from the list version with bookmarks; items carry kind and apiVersion', async () => {
    const { w, namespace, path } = watchSecrets({ pageSize: 2 });
    for (const n of ['a', 'b', 'c', 'd', 'e']) api.apply(secret(namespace, n));
    const listVersion = api.resourceVersion;
    await w.start();
    expect(names(w)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(w.list()[0]).toMatchObject({ kind: 'Secret', apiVersion: 'v1' });
    const lists = api.requests.filter((r) => r.startsWith(`GET ${path}?`) && !r.includes('watch=true'));
    expect(lists).toHaveLength(3);
    expect(lists[0]).toContain('limit=2');
    expect(lists[1]).toContain('continue=');
    await until('watch', () => api.watchCount('/api/v1/secrets') > 0 && api.count(new RegExp(`${path}\\?.*watch=true`)) > 0);
    const watchReq = api.requests.find((r) => r.startsWith(`GET ${path}?`) && r.includes('watch=true'))!;
    expect(watchReq).toContain(`resourceVersion=${listVersion}`);
    expect(watchReq).toContain('allowWatchBookmarks=true');
    expect(watchReq).toMatch(/timeoutSeconds=\d+/);

    api.apply(secret(namespace, 'f'));
    api.delete(secret(namespace, 'a'));
    await until('f added and a deleted', () => names(w).join() === 'b,c,d,e,f');
    expect(w.stats.lists).toBe(3);
  });

  test('a dropped stream or a server-side timeout resumes from the last version, without relisting', async () => {
    const { w, namespace } = watchSecrets({ watchTimeoutSeconds: 1 });
    api.apply(secret(namespace, 'one'));
    await w.start();
    await until('watching', () => w.stats.watches === 1);
    api.dropWatches();
    api.apply(secret(namespace, 'two'));
    await until('two', () => names(w).includes('two'));
    // The server ends the watch after timeoutSeconds=1; the next one starts where it left off.
    const watches = w.stats.watches;
    await until('a new watch after the timeout', () => w.stats.watches > watches, 3000);
    api.apply(secret(namespace, 'three'));
    await until('three', () => names(w).includes('three'));
    expect(w.stats.lists).toBe(1);
    expect(w.stats.relistsAfterGone).toBe(0);
  });

  test('a bookmark moves the resume point past history that is later compacted: no relist', async () => {
    const { w, namespace } = watchSecrets();
    api.apply(secret(namespace, 'one'));
    await w.start();
    await until('watching', () => w.stats.watches === 1 && api.watchCount('/api/v1/secrets') > 0);
    // Other collections move the global resourceVersion on; only a bookmark tells this watch about it.
    for (let i = 0; i < 5; i++) api.apply(secret(`${namespace}-other`, `o${i}`));
    api.bookmark();
    await until('bookmark', () => w.stats.bookmarks > 0);
    expect(w.latestResourceVersion).toBe(String(api.resourceVersion));
    api.compact();
    api.dropWatches();
    await until('rewatch', () => w.stats.watches === 2);
    api.apply(secret(namespace, 'two'));
    await until('two', () => names(w).includes('two'));
    expect(w.stats.lists).toBe(1);
    expect(w.stats.relistsAfterGone).toBe(0);
  });

  test.each(['event', 'http'] as const)('410 Gone as %s relists, and objects deleted meanwhile disappear', async (answer) => {
    api.staleWatchAnswer = answer;
    const { w, namespace, log } = watchSecrets();
    api.apply(secret(namespace, 'keep'));
    api.apply(secret(namespace, 'gone-while-away'));
    await w.start();
    await until('watching', () => w.stats.watches === 1 && api.watchCount('/api/v1/secrets') > 0);
    api.dropWatches();
    // While disconnected: a delete, an add, and history compacted past our version.
    api.delete(secret(namespace, 'gone-while-away'));
    api.apply(secret(namespace, 'new'));
    api.compact();
    await until('relist', () => names(w).join() === 'keep,new');
    expect(w.stats.relistsAfterGone).toBe(1);
    expect(w.stats.lists).toBe(2);
    expect(log.errors.filter(Boolean)).toEqual([]);
  });

  test('an expired continue token restarts the list from the beginning', async () => {
    const { w, namespace } = watchSecrets({ pageSize: 1 });
    for (const n of ['a', 'b', 'c']) api.apply(secret(namespace, n));
    // Compact history as soon as the first page has been served, so the continue token is stale.
    const original = api.requests.push.bind(api.requests);
    let compacted = false;
    api.requests.push = (...items: string[]) => {
      const n = original(...items);
      if (!compacted && items.some((r) => r.includes(`/namespaces/${namespace}/secrets?`) && r.includes('limit=1') && !r.includes('continue='))) {
        compacted = true;
        setImmediate(() => {
          api.apply(secret(`${namespace}-other`, 'bump'));
          api.compact();
        });
      }
      return n;
    };
    try {
      await w.start();
    } finally {
      api.requests.push = original;
    }
    expect(names(w)).toEqual(['a', 'b', 'c']);
    expect(w.stats.relistsAfterGone).toBeGreaterThanOrEqual(1);
  });

  test('403 is reported naming verb, resource and namespace; the watch recovers when access is granted', async () => {
    api.forbidden.add('list /api/v1/secrets');
    const { w, namespace, log } = watchSecrets();
    api.apply(secret(namespace, 'hidden'));
    await w.start();
    expect(w.error).toBe(
      `RBAC: Portico's service account may not list secrets in namespace "${namespace}"; grant the "list" verb on secrets to it (the Helm chart's ClusterRole does)`,
    );
    expect(names(w)).toEqual([]);
    api.forbidden.clear();
    await until('recovered', () => names(w).includes('hidden'));
    expect(w.error).toBeUndefined();
    expect(log.errors.at(-1)).toBeUndefined();

    // Watch denied after a successful list: named as a watch problem.
    api.forbidden.add('watch /api/v1/secrets');
    api.dropWatches();
    await until('watch error', () => w.error?.includes('may not watch secrets') === true);
    api.forbidden.clear();
    await until('watch recovered', () => w.error === undefined);
  });

  test('resync relists: a change the watch never delivered is picked up', async () => {
    const { w, namespace, log } = watchSecrets({ resyncMs: 200 });
    api.apply(secret(namespace, 'a'));
    await w.start();
    const changes = log.changes;
    // Mutate the store behind the watch's back (as if an event had been lost).
    const stored = api.get(secret(namespace, 'a'))!;
    stored.stringData = { v: 'changed' };
    stored.metadata.resourceVersion = String(api.resourceVersion + 1000);
    await until('resync', () => w.stats.lists >= 2);
    await until('change seen', () => (w.list()[0] as unknown as { stringData: { v: string } }).stringData.v === 'changed');
    expect(log.changes).toBeGreaterThan(changes);
  });
});
