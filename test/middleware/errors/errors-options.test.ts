/** The errors middleware's status lists and options, on their own. */
import { describe, expect, test } from 'vitest';
import { StatusRanges } from '../../../src/middleware/errors/status-ranges.js';
import { problems } from '../support/compile.js';

describe('StatusRanges', () => {
  test("Traefik's forms: one status, an inclusive range, several in one string", () => {
    const r = StatusRanges.parse(['404', '500-599', '401,403']);
    for (const s of [404, 500, 550, 599, 401, 403]) expect(r.contains(s)).toBe(true);
    for (const s of [200, 402, 405, 499, 600]) expect(r.contains(s)).toBe(false);
  });

  test('anything else is refused, naming the entry', () => {
    expect(() => StatusRanges.parse(['5xx'])).toThrow('"5xx" is not a status');
    expect(() => StatusRanges.parse(['599-500'])).toThrow('"599-500"');
    expect(() => StatusRanges.parse(['700'])).toThrow('"700"');
  });
});

describe('errors options', () => {
  test('status and service are required; lists, rewrites and ranges are checked with their path', () => {
    expect(problems('errors', { service: 's' })).toEqual(['http.middlewares.m.errors.status: is required']);
    expect(problems('errors', { status: ['500'] })).toEqual(['http.middlewares.m.errors.service: is required']);
    expect(problems('errors', { status: ['500', 'oops'], service: 's' })).toEqual([
      'http.middlewares.m.errors.status[1]: "oops" is not a status (100-599) or a range of them ("500-599")',
    ]);
    expect(problems('errors', { status: ['500'], service: 's', statusRewrites: { '5x': 404 } })[0]).toMatch(
      /^http.middlewares.m.errors.statusRewrites.5x: "5x" is not a status/,
    );
    expect(problems('errors', { status: ['500'], service: 's', statusRewrites: { '500': 700 } })).toHaveLength(1);
  });

  test("a service the configuration does not have is the middleware's error", () => {
    expect(problems('errors', { status: ['500'], service: 'nowhere' })).toEqual(['http.middlewares.m.errors: no usable service named "nowhere"']);
  });
});
