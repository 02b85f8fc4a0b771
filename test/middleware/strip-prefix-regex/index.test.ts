import { describe, expect, test } from 'vitest';
import { problems, wrap } from '../support/compile.js';
import { recordingService, run } from '../../../src/testing/memory-exchange.js';

describe('stripPrefixRegex', () => {
  test('removes what the expression matches at the start only; header carries the match', async () => {
    const svc = recordingService();
    const h = wrap('stripPrefixRegex', { regex: ['/users/[0-9]+/', '(?i)/ADMIN'] }, svc);
    await run(h, { url: '/users/42/profile?tab=1' });
    await run(h, { url: '/x/users/42/profile' });
    await run(h, { url: '/admin/panel' });
    expect(svc.seen.map((s) => s.url)).toEqual(['/profile?tab=1', '/x/users/42/profile', '/panel']);
    expect(svc.seen.map((s) => s.headers['x-forwarded-prefix'])).toEqual(['/users/42/', undefined, '/admin']);
  });
  test('validation names the bad expression', () => {
    expect(problems('stripPrefixRegex', { regex: ['/ok', '/(unclosed'] })[0]).toMatch(
      /^http\.middlewares\.m\.stripPrefixRegex\.regex\[1\]: invalid regular expression/,
    );
    expect(problems('stripPrefixRegex', { regex: ['(?=x)'] })[0]).toMatch(/regex\[0\]: backreferences and lookaround are not RE2 syntax/);
  });
});
