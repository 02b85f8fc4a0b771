import { expect, test } from 'vitest';
import { yamlLineLocator } from '../../src/config/yaml-line-locator.js';

test('finds the line of nested keys, respecting indentation and a document offset', () => {
  const text = ['http:', '  routers:', '    api:', '      rule: x', '    web:', '      rule: y', '      servce: z'].join('\n');
  const at = yamlLineLocator(text, 10);
  expect(at(['http', 'routers', 'web', 'servce'])).toBe(16);
  expect(at(['http', 'routers', 'api', 'rule'])).toBe(13);
  expect(at(['http', 'services'])).toBe(10);
});

test('a key is looked for among the children of its parent, not anywhere below', () => {
  const text = [
    'http:',
    '  routers:',
    '    r:',
    '      tls: { options: x }',
    'tls:',
    '  stores:',
    '    default:',
    '      defaultCertificate: {}',
    '  certificates:',
    '    - certFile: a',
    '      keyFile: b',
  ].join('\n');
  const at = yamlLineLocator(text);
  expect(at(['tls', 'stores', 'default', 'defaultCertificate'])).toBe(8);
  expect(at(['http', 'routers', 'r', 'tls', 'options'])).toBe(4);
  expect(at(['tls', 'certificates', '0', 'keyFile'])).toBe(11);
  expect(at(['http', 'services'])).toBe(1);
});
