/** Errors of the native file format name the object and say what a valid one looks like for its section. */
import { expect, test } from 'vitest';
import { readNativeDocument } from '../../../src/provider/file/native-config-reader.js';
import { emptyDynamicConfig, type ConfigError } from '../../../src/dynamic/model.js';

function errorsOf(doc: unknown): Array<[string, string]> {
  const errors: ConfigError[] = [];
  readNativeDocument(doc, emptyDynamicConfig(), { provider: 'file', source: 'dyn.yaml' }, errors);
  return errors.map((e) => [e.path, e.message]);
}

test('an object with two type keys is named, with examples from its own section', () => {
  expect(errorsOf({ http: { middlewares: { both: { stripPrefix: { prefixes: ['/a'] }, addPrefix: { prefix: '/b' } } } } })).toEqual([
    ['http.middlewares.both', 'must have exactly one type key (e.g. stripPrefix, headers)'],
  ]);
  expect(errorsOf({ http: { services: { none: {} } } })).toEqual([['http.services.none', 'must have exactly one type key (e.g. loadBalancer, weighted)']]);
});
