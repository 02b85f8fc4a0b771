import { describe, expect, expectTypeOf, test } from 'vitest';
import { checkFields, defineMiddleware, type Exchange, type MiddlewareHandler } from '../../../plugins/sdk/index.js';

describe('plugin SDK', () => {
  test('defineMiddleware infers Options for build and keeps validate; non-object options are refused', () => {
    const t = defineMiddleware<{ greeting?: string }>({
      type: 'greeter',
      validate: (o) => checkFields(o, { greeting: { kind: 'string' } }),
      build: ({ greeting = 'hi' }) => {
        expectTypeOf(greeting).toEqualTypeOf<string>();
        return (next) => (ex: Exchange) => {
          ex.requestHeaders['x-greeting'] = greeting;
          return next(ex);
        };
      },
    });
    expectTypeOf(t.build).parameter(0).toEqualTypeOf<{ greeting?: string }>();
    expectTypeOf(t.build).returns.toEqualTypeOf<MiddlewareHandler>();
    expect(t.type).toBe('greeter');
    expect(t.validate({ greeting: 1 })).toEqual([['greeting', 'must be a string']]);
    expect(t.validate('loud')).toEqual([['', 'options must be an object (use {} for none)']]);
    expect(t.validate(undefined)).toEqual([]);
  });

  test('a definition without validate accepts any object; a bad type name is refused at once', () => {
    expect(defineMiddleware({ type: 'free', build: () => (n) => n }).validate({ anything: 1 })).toEqual([]);
    expect(() => defineMiddleware({ type: 'has space', build: () => (n) => n })).toThrow(/must start with a letter/);
  });

  test('checkFields: unknown, required, kinds, patterns, ranges, choices', () => {
    const spec = {
      name: { kind: 'string', required: true, pattern: /^[a-z]+$/ },
      count: { kind: 'integer', min: 1, max: 10 },
      ratio: { kind: 'number' },
      on: { kind: 'boolean' },
      tags: { kind: 'string[]' },
      labels: { kind: 'string-map' },
      mode: { kind: 'string', oneOf: ['a', 'b'] },
    } as const;
    expect(checkFields({ name: 'ok', count: 3, ratio: 0.5, on: true, tags: ['x'], labels: { a: 'b' }, mode: 'a' }, spec)).toEqual([]);
    expect(checkFields({ count: 0, ratio: 'x', on: 'yes', tags: [1], labels: { a: 1 }, mode: 'c', extra: 1 }, spec)).toEqual([
      ['extra', 'unknown field; known: name, count, ratio, on, tags, labels, mode'],
      ['name', 'is required'],
      ['count', 'must be >= 1'],
      ['ratio', 'must be a number'],
      ['on', 'must be true or false'],
      ['tags', 'must be a list of strings'],
      ['labels', 'must be a map of strings'],
      ['mode', 'must be one of: a, b'],
    ]);
    expect(checkFields({ name: 'UPPER', count: 2.5 }, spec)).toEqual([
      ['name', 'must match /^[a-z]+$/'],
      ['count', 'must be an integer'],
    ]);
  });
});
