import { describe, expect, test } from 'vitest';
import { emptyDynamicConfig } from '../../src/dynamic/model.js';
import { MiddlewareRegistry } from '../../src/middleware/registry.js';
import { ConfigErrors } from '../../src/runtime/config-errors.js';
import { buildMiddlewareTable } from '../../src/runtime/middleware-table.js';

function registryWithCounter() {
  const registry = new MiddlewareRegistry();
  const counts = { built: 0, released: 0 };
  registry.register({
    type: 'counted',
    optionsSchema: { properties: { fail: { type: 'boolean' } } },
    build: (o, ctx) => {
      counts.built++;
      ctx.onDispose(() => {
        counts.released++;
        if ((o as { fail?: boolean }).fail) throw new Error('release failed');
      });
      return (next) => next;
    },
  });
  return { registry, counts };
}

describe('buildMiddlewareTable', () => {
  test('compiles each middleware once, shared by every user; a chain resolves its members relative to its provider', () => {
    const { registry, counts } = registryWithCounter();
    const http = emptyDynamicConfig().http;
    http.middlewares['c@file'] = { counted: {} };
    http.middlewares['both@file'] = { chain: { middlewares: ['c'] } };
    const errors = new ConfigErrors();
    const table = buildMiddlewareTable(http, registry, errors);
    expect(table.get('both@file')).toBeTypeOf('function');
    expect(table.get('c@file')).toBeTypeOf('function');
    expect(counts.built).toBe(1);
    expect(errors.list).toEqual([]);
  });

  test('a chain cycle is reported with its path; so is a chain member that does not exist', () => {
    const { registry } = registryWithCounter();
    const http = emptyDynamicConfig().http;
    http.middlewares['a@file'] = { chain: { middlewares: ['b'] } };
    http.middlewares['b@file'] = { chain: { middlewares: ['a'] } };
    http.middlewares['lost@file'] = { chain: { middlewares: ['ghost'] } };
    const errors = new ConfigErrors();
    const table = buildMiddlewareTable(http, registry, errors);
    expect(table.get('a@file')).toBeUndefined();
    expect(table.get('lost@file')).toBeUndefined();
    const messages = errors.list.map((e) => `${e.path}: ${e.message}`);
    expect(messages).toContain('http.middlewares.a@file.chain: middleware chain cycle: a@file → b@file → a@file');
    expect(messages).toContain('http.middlewares.lost@file.chain: no middleware named "ghost@file"');
  });

  test('validateUnused reports what no router asked for without building it', () => {
    const { registry, counts } = registryWithCounter();
    const http = emptyDynamicConfig().http;
    http.middlewares['used@file'] = { counted: {} };
    http.middlewares['idle@file'] = { counted: {} };
    http.middlewares['bad@file'] = { counted: { fail: 'yes' } };
    const errors = new ConfigErrors();
    const table = buildMiddlewareTable(http, registry, errors);
    table.get('used@file');
    table.validateUnused();
    expect(counts.built).toBe(1);
    expect(errors.list.map((e) => e.path)).toEqual(['http.middlewares.bad@file.counted.fail']);
  });

  test('dispose runs every release even when one throws', () => {
    const { registry, counts } = registryWithCounter();
    const http = emptyDynamicConfig().http;
    http.middlewares['a@file'] = { counted: { fail: true } };
    http.middlewares['b@file'] = { counted: {} };
    const table = buildMiddlewareTable(http, registry, new ConfigErrors());
    table.get('a@file');
    table.get('b@file');
    table.dispose();
    expect(counts.released).toBe(2);
  });
});
