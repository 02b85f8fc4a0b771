import { expect, test } from 'vitest';
import { yamlLineLocator } from '../../../src/provider/file/yaml-line-locator.js';

test('finds the line of nested keys, respecting indentation and a document offset', () => {
  const text = ['http:', '  routers:', '    api:', '      rule: x', '    web:', '      rule: y', '      servce: z'].join('\n');
  const at = yamlLineLocator(text, 10);
  expect(at(['http', 'routers', 'web', 'servce'])).toBe(16);
  expect(at(['http', 'routers', 'api', 'rule'])).toBe(13);
  expect(at(['http', 'services'])).toBe(10);
});
