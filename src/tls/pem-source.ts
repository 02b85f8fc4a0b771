/** A certificate or key given either inline (PEM text) or as a file path, resolved against the config's directory. */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export function isInlinePem(value: string): boolean {
  return value.includes('-----BEGIN ');
}

export function readPem(value: string, baseDir: string): string {
  if (isInlinePem(value)) return value;
  const path = isAbsolute(value) ? value : resolve(baseDir, value);
  return readFileSync(path, 'utf8');
}
