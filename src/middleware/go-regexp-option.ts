/**
 * An option that holds a Go (RE2) regular expression, as Traefik's files do:
 * its syntax is checked when the configuration is validated, so a bad pattern
 * is an error on its field instead of a failure in build().
 */
import { compileGoRegexp } from '../router/go-regexp.js';
import type { OptionProblem } from './middleware-type.js';

export function goRegexpProblems(field: string, pattern: string): OptionProblem[] {
  try {
    compileGoRegexp(pattern);
    return [];
  } catch (err) {
    return [[field, (err as Error).message]];
  }
}
