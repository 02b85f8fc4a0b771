import { expect, test } from 'vitest';
import { mergeAltSvc } from '../../src/exchange/exchange-base.js';

const ours = 'h3=":8443"; ma=2592000';

test('adds ours when absent, appends to other alternatives, never duplicates an h3 entry', () => {
  const a: Record<string, string | string[] | undefined> = {};
  mergeAltSvc(a, ours);
  expect(a['alt-svc']).toBe(ours);
  const b: Record<string, string | string[] | undefined> = { 'alt-svc': 'h2=":9999"; ma=60' };
  mergeAltSvc(b, ours);
  expect(b['alt-svc']).toBe(`h2=":9999"; ma=60, ${ours}`);
  const c: Record<string, string | string[] | undefined> = { 'alt-svc': 'h3=":443"; ma=86400' };
  mergeAltSvc(c, ours);
  expect(c['alt-svc']).toBe('h3=":443"; ma=86400');
  const d: Record<string, string | string[] | undefined> = { 'alt-svc': 'clear' };
  mergeAltSvc(d, ours);
  expect(d['alt-svc']).toBe('clear');
});
