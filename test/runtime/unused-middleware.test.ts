/**
 * Issue 9 #6: a declared middleware is validated even when no router uses it,
 * and its errors name the file, the object and the field like any other
 * configuration error. Before, its mistakes waited for the first router to
 * name it. Real Portico, the file provider reading a real file.
 */
import { afterAll, expect, test } from 'vitest';
import { join } from 'node:path';
import { startPortico, type Harness } from '../support/portico-harness.js';

let p: Harness | undefined;
afterAll(() => p?.stop());

test('an unused middleware with bad options is reported with file, object and field; a used one is reported the same way', async () => {
  p = await startPortico(
    { entryPoints: { web: { address: '127.0.0.1:0' } } },
    {
      'mw.yaml': `
http:
  routers:
    r: { rule: PathPrefix(\`/r\`), service: noop@internal, middlewares: [used-bad] }
  middlewares:
    used-bad: { stripPrefix: { prefixes: [] } }
    unused-bad: { stripPrefix: { prefixes: [] } }
    unused-regex: { replacePathRegex: { regex: "([", replacement: "/" } }
    unused-unknown: { stripPrefx: { prefixes: [/a] } }
    unused-good: { addPrefix: { prefix: /x } }
`,
    },
  );
  // Version 1 is Portico's own routers; the file's arrive with the next.
  const errors = (await p.server.nextApply(1)).errors;
  const file = join(p.dynamicDir, 'mw.yaml');
  const of = (name: string) => errors.filter((e) => e.path.startsWith(`http.middlewares.${name}@file`));
  expect(of('unused-bad')).toEqual([
    expect.objectContaining({
      provider: 'file',
      source: file,
      path: 'http.middlewares.unused-bad@file.stripPrefix.prefixes',
      message: 'must list at least 1 item',
    }),
  ]);
  const used = of('used-bad');
  expect(used).toHaveLength(1);
  expect({ ...used[0], path: '', line: undefined }).toEqual({ ...of('unused-bad')[0], path: '', line: undefined });
  expect(of('unused-regex')).toEqual([expect.objectContaining({ source: file, path: 'http.middlewares.unused-regex@file.replacePathRegex.regex' })]);
  expect(of('unused-unknown')[0]!.message).toMatch(/unknown middleware type "stripPrefx"/);
  expect(of('unused-good')).toEqual([]);
});
