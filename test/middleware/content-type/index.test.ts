import { describe, expect, test } from 'vitest';
import { problems, wrap } from '../support/compile.js';
import { respondWith, run } from '../../../src/testing/memory-exchange.js';
import { sniffContentType } from '../../../src/middleware/content-type/sniff.js';

describe('content sniffing', () => {
  test('recognises the common signatures and falls back to text or octet-stream', () => {
    const b = (s: string | number[]) => (typeof s === 'string' ? Buffer.from(s) : Buffer.from(s));
    expect(sniffContentType(b('  <!DOCTYPE html><html>'))).toBe('text/html; charset=utf-8');
    expect(sniffContentType(b('<p>hi</p>'))).toBe('text/html; charset=utf-8');
    expect(sniffContentType(b('<?xml version="1.0"?><a/>'))).toBe('text/xml; charset=utf-8');
    expect(sniffContentType(b('%PDF-1.7'))).toBe('application/pdf');
    expect(sniffContentType(b([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('image/png');
    expect(sniffContentType(b([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffContentType(b('GIF89a...'))).toBe('image/gif');
    expect(sniffContentType(b([0x1f, 0x8b, 0x08, 0]))).toBe('application/x-gzip');
    expect(sniffContentType(b('{"json": true}'))).toBe('text/plain; charset=utf-8');
    expect(sniffContentType(b([0, 1, 2, 3]))).toBe('application/octet-stream');
  });
});

describe('contentType', () => {
  test('sets a sniffed type when the backend sent none, from bytes split across writes', async () => {
    const r = await run(wrap('contentType', {}, respondWith(200, {}, ['<!DOCTYPE ', 'html><body>hello</body>'])));
    expect(r.responseHeaders['content-type']).toBe('text/html; charset=utf-8');
    expect(r.responseBody.toString()).toBe('<!DOCTYPE html><body>hello</body>');
  });
  test('leaves a backend Content-Type alone, and empty bodies untyped', async () => {
    const given = await run(wrap('contentType', {}, respondWith(200, { 'content-type': 'application/json' }, ['<html>'])));
    expect(given.responseHeaders['content-type']).toBe('application/json');
    const empty = await run(wrap('contentType', {}, respondWith(200, {}, [])));
    expect(empty.responseHeaders['content-type']).toBeUndefined();
  });
  test('a body longer than the sniff window streams on unchanged', async () => {
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.alloc(100, 0x41 + (i % 26)));
    const r = await run(wrap('contentType', {}, respondWith(200, {}, parts)));
    expect(r.responseHeaders['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.responseBody.equals(Buffer.concat(parts))).toBe(true);
  });
  test('autoDetect: false passes through untouched', async () => {
    const r = await run(wrap('contentType', { autoDetect: false }, respondWith(200, {}, ['<html>x</html>'])));
    expect(r.responseHeaders['content-type']).toBeUndefined();
  });
  test('validation', () => {
    expect(problems('contentType', { autoDetect: 'yes' })).toEqual(['http.middlewares.m.contentType.autoDetect: must be boolean']);
  });
});
