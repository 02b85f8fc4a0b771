import { describe, expect, test } from 'vitest';
import { buildRouteTable, defaultPriority, RouteTable, type CompiledRouteInput } from '../../src/router/route-table.js';
import { parseRule } from '../../src/router/rule-parser.js';
import { compileRule } from '../../src/router/rule-matcher.js';
import type { RequestFacts } from '../../src/router/request-facts.js';

const facts = (host: string, path: string, method = 'GET', headers: RequestFacts['headers'] = {}): RequestFacts => ({
  method,
  host,
  path,
  query: '',
  headers,
  clientIp: '127.0.0.1',
});

describe('route table', () => {
  test('priority: explicit wins, default (and 0) is the rule length in bytes', () => {
    const { table, errors } = buildRouteTable([
      { name: 'short', rule: 'Host(`a`)', value: 1 },
      { name: 'long', rule: 'Host(`a`) && PathPrefix(`/api`)', value: 2 },
      { name: 'forced', rule: 'PathPrefix(`/`)', priority: 1000, value: 3 },
      { name: 'zero', rule: 'Host(`a`) && PathPrefix(`/api/v1`)', priority: 0, value: 4 },
    ]);
    expect(errors).toEqual([]);
    expect(table.match(facts('a', '/api/x'))).toEqual(expect.objectContaining({ name: 'forced', value: 3 }));
    expect(table.routes()).toEqual([
      { name: 'forced', priority: 1000 },
      { name: 'zero', priority: 34 },
      { name: 'long', priority: 31 },
      { name: 'short', priority: 9 },
    ]);
    const { table: t2 } = buildRouteTable([
      { name: 'short', rule: 'Host(`a`)', value: 1 },
      { name: 'long', rule: 'Host(`a`) && PathPrefix(`/api`)', value: 2 },
    ]);
    expect(t2.match(facts('a', '/api/x'))?.name).toBe('long');
    expect(t2.match(facts('a', '/other'))?.name).toBe('short');
    expect(t2.match(facts('b', '/api'))).toBeUndefined();
    expect(defaultPriority('Path(`/é`)')).toBe(11); // Go's len(): bytes, not characters
  });

  test('ties are broken by name, then by position in the list', () => {
    const defs = [
      { name: 'b', rule: 'Path(`/t`)', priority: 5, value: 'b' },
      { name: 'a', rule: 'Path(`/t`)', priority: 5, value: 'a' },
      { name: 'b2', rule: 'Path(`/t`)', priority: 5, value: 'b2' },
      { name: 'a', rule: 'PathPrefix(`/t`)', priority: 5, value: 'second a' },
    ];
    const { table } = buildRouteTable(defs);
    expect(table.routes().map((r) => r.name)).toEqual(['a', 'a', 'b', 'b2']);
    expect(table.match(facts('z', '/t'))?.value).toBe('a');
    // The same input in another order gives the same winner.
    expect(buildRouteTable([...defs].reverse()).table.match(facts('z', '/t'))?.value).toBe('second a');
    expect(buildRouteTable([defs[2]!, defs[1]!, defs[0]!]).table.match(facts('z', '/t'))?.value).toBe('a');
  });

  test('a host route and a host-less route interleave by priority', () => {
    const { table } = buildRouteTable([
      { name: 'host-low', rule: 'Host(`a`)', priority: 1, value: 0 },
      { name: 'any-mid', rule: 'PathPrefix(`/`)', priority: 5, value: 0 },
      { name: 'host-high', rule: 'Host(`a`) && Path(`/x`)', priority: 10, value: 0 },
      { name: 'regexp', rule: 'HostRegexp(`^a$`) && Path(`/y`)', priority: 7, value: 0 },
    ]);
    expect(table.match(facts('a', '/x'))?.name).toBe('host-high');
    expect(table.match(facts('a', '/y'))?.name).toBe('regexp');
    expect(table.match(facts('a', '/z'))?.name).toBe('any-mid');
    expect(table.match(facts('b', '/x'))?.name).toBe('any-mid');
  });

  test('invalid rules are reported by name with column, and left out', () => {
    const { table, errors } = buildRouteTable([
      { name: 'ok', rule: 'Host(`a`)', value: 1 },
      { name: 'bad', rule: 'Host(`a`', value: 2 },
      { name: 'bad-regexp', rule: 'PathRegexp(`(?=x)`)', value: 3 },
      { name: 'empty', rule: '', value: 4 },
    ]);
    expect(errors.map((e) => [e.name, e.column])).toEqual([
      ['bad', 5],
      ['bad-regexp', 13],
      ['empty', 1],
    ]);
    expect(errors[0]!.message).toMatch(/^unclosed parenthesis of Host\(: expected "\)" before the end of the rule at column 5$/);
    expect(table.size).toBe(1);
    expect(table.match(facts('a', '/'))?.name).toBe('ok');
  });

  test('host index agrees with a brute-force scan (randomised, bounded)', () => {
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const hosts = ['a.test', 'b.test', 'c.test', 'd.test', '::1'];
    const paths = ['/', '/api', '/api/v1', '/static'];
    const pick = <T>(xs: T[]) => xs[rnd(xs.length)]!;
    const rules: string[] = [];
    for (let i = 0; i < 400; i++) {
      const h = pick(hosts);
      const p = pick(paths);
      const shapes = [
        `Host(\`${h}\`)`,
        `Host(\`${h.toUpperCase()}.\`) && PathPrefix(\`${p}\`)`,
        `PathPrefix(\`${p}\`)`,
        `Host(\`${h}\`) || Host(\`${pick(hosts)}\`)`,
        `(Host(\`${h}\`) || Host(\`${pick(hosts)}\`)) && Method(\`${pick(['GET', 'POST'])}\`)`,
        `HostRegexp(\`^${h[0]}\`) && Method(\`GET\`)`,
        `!Host(\`${h}\`) && Path(\`${p}\`)`,
        `Host(\`${h}\`) || PathPrefix(\`${p}\`)`,
        `Host(\`${h}\`) && Host(\`${pick(hosts)}\`)`,
        `Method(\`POST\`) && (Host(\`${h}\`) && Header(\`X-T\`, \`${rnd(2)}\`))`,
        `!!Host(\`${h}\`) && PathPrefix(\`${p}\`)`,
      ];
      rules.push(pick(shapes));
    }
    const defs = rules.map((rule, i) => ({ name: `r${String(rnd(1000)).padStart(3, '0')}`, rule, priority: rnd(3) === 0 ? rnd(50) : undefined, value: i }));
    const { table, errors } = buildRouteTable(defs);
    expect(errors).toEqual([]);
    const ordered = defs
      .map((d, index) => ({ ...d, index, p: d.priority || defaultPriority(d.rule), m: compileRule(parseRule(d.rule)) }))
      .sort((x, y) => y.p - x.p || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0) || x.index - y.index);
    let checked = 0;
    for (const h of [...hosts, 'other.test'])
      for (const p of [...paths, '/api/v1/x', '/zzz'])
        for (const method of ['GET', 'POST'])
          for (const t of ['0', '1']) {
            const f = facts(h, p, method, { 'x-t': t });
            const want = ordered.find((r) => r.m(f));
            expect(table.match(f)?.value, `${method} ${h}${p}`).toBe(want?.value);
            checked++;
          }
    expect(checked).toBe(6 * 6 * 2 * 2);
  });

  test('a lookup tests only the host bucket and the shared list, however many routes there are', () => {
    const calls = { n: 0 };
    const counting = (result: boolean) => () => (calls.n++, result);
    const routes: CompiledRouteInput<number>[] = [];
    for (let i = 0; i < 10_000; i++) routes.push({ name: `h${i}`, priority: 10, match: counting(false), hosts: new Set([`svc${i}.test`]), value: i });
    for (let i = 0; i < 3; i++) routes.push({ name: `any${i}`, priority: 5, match: counting(false), hosts: undefined, value: -1 });
    const table = new RouteTable(routes);
    expect(table.candidatesFor('svc77.test')).toBe(4);
    expect(table.match(facts('svc77.test', '/'))).toBeUndefined();
    expect(calls.n).toBe(4);
    calls.n = 0;
    expect(table.match(facts('unknown.test', '/'))).toBeUndefined();
    expect(calls.n).toBe(3);

    // The same through rules: 10,000 host routers, each lookup far from a scan.
    const defs = Array.from({ length: 10_000 }, (_, i) => ({ name: `r${i}`, rule: `Host(\`svc${i}.test\`) && PathPrefix(\`/api\`)`, value: i }));
    defs.push({ name: 'fallback', rule: 'PathPrefix(`/`)', value: -1 });
    const built = buildRouteTable(defs).table;
    expect(built.candidatesFor('svc9999.test')).toBe(2);
    expect(built.match(facts('svc9999.test', '/api/x'))?.value).toBe(9999);
    expect(built.match(facts('svc9999.test', '/other'))?.value).toBe(-1);
    expect(built.match(facts('nobody.test', '/api'))?.value).toBe(-1);
  });
});
