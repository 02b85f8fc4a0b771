import { describe, expect, test } from 'vitest';
import { buildRouteTable } from '../../src/router/route-table.js';
import { parseRule } from '../../src/router/rule-parser.js';
import { compileRule } from '../../src/router/rule-matcher.js';
import type { RequestFacts } from '../../src/router/request-facts.js';

const facts = (host: string, path: string, method = 'GET'): RequestFacts => ({ method, host, path, query: '', headers: {}, clientIp: '127.0.0.1' });

describe('route table', () => {
  test('priority: explicit wins, default is rule length, ties by name', () => {
    const { table, errors } = buildRouteTable([
      { name: 'short', rule: 'Host(`a`)', value: 1 },
      { name: 'long', rule: 'Host(`a`) && PathPrefix(`/api`)', value: 2 },
      { name: 'forced', rule: 'PathPrefix(`/`)', priority: 1000, value: 3 },
      { name: 'b-tie', rule: 'Path(`/t`)', priority: 5, value: 4 },
      { name: 'a-tie', rule: 'Path(`/t`)', priority: 5, value: 5 },
    ]);
    expect(errors).toEqual([]);
    expect(table.match(facts('a', '/api/x'))?.name).toBe('forced');
    const { table: t2 } = buildRouteTable([
      { name: 'short', rule: 'Host(`a`)', value: 1 },
      { name: 'long', rule: 'Host(`a`) && PathPrefix(`/api`)', value: 2 },
      { name: 'b-tie', rule: 'Path(`/t`)', priority: 5, value: 4 },
      { name: 'a-tie', rule: 'Path(`/t`)', priority: 5, value: 5 },
    ]);
    expect(t2.match(facts('a', '/api/x'))?.name).toBe('long');
    expect(t2.match(facts('a', '/other'))?.name).toBe('short');
    expect(t2.match(facts('z', '/t'))?.name).toBe('a-tie');
    expect(t2.match(facts('z', '/nothing'))).toBeUndefined();
  });

  test('invalid rules are reported by name and left out', () => {
    const { table, errors } = buildRouteTable([
      { name: 'ok', rule: 'Host(`a`)', value: 1 },
      { name: 'bad', rule: 'Host(`a`', value: 2 },
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.name).toBe('bad');
    expect(errors[0]!.column).toBe(9);
    expect(table.size).toBe(1);
  });

  test('host index agrees with a brute-force scan (randomised, bounded)', () => {
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const hosts = ['a.test', 'b.test', 'c.test', 'd.test'];
    const paths = ['/', '/api', '/api/v1', '/static'];
    const rules: string[] = [];
    for (let i = 0; i < 300; i++) {
      const h = hosts[rnd(4)]!;
      const p = paths[rnd(4)]!;
      const shapes = [
        `Host(\`${h}\`)`,
        `Host(\`${h}\`) && PathPrefix(\`${p}\`)`,
        `PathPrefix(\`${p}\`)`,
        `Host(\`${h}\`) || Host(\`${hosts[rnd(4)]}\`)`,
        `HostRegexp(\`^${h[0]}\`) && Method(\`GET\`)`,
        `!Host(\`${h}\`) && Path(\`${p}\`)`,
      ];
      rules.push(shapes[rnd(shapes.length)]!);
    }
    const defs = rules.map((rule, i) => ({ name: `r${String(i).padStart(3, '0')}`, rule, priority: rnd(3) === 0 ? rnd(50) : undefined, value: i }));
    const { table } = buildRouteTable(defs);
    const ordered = defs
      .map((d) => ({ ...d, p: d.priority ?? d.rule.length, m: compileRule(parseRule(d.rule)) }))
      .sort((x, y) => y.p - x.p || (x.name < y.name ? -1 : 1));
    for (const h of [...hosts, 'other.test'])
      for (const p of [...paths, '/api/v1/x', '/zzz']) {
        const f = facts(h, p);
        expect(table.match(f)?.name, `${h}${p}`).toBe(ordered.find((r) => r.m(f))?.name);
      }
  });
});
