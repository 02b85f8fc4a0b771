/**
 * What basicAuth and digestAuth share, as Traefik defines them: credential
 * lines given inline (`users`) and/or in a `usersFile`, the realm, the header
 * that carries the authenticated user on, and whether to drop Authorization.
 * Only the line format differs (htpasswd `name:hash`, htdigest
 * `name:realm:HA1`), so each type brings its own line parser.
 */
import { readFileSync } from 'node:fs';
import type { OptionProblem } from './middleware-type.js';
import { stringList, type OptionsSchema } from './options-schema.js';

export interface CredentialListOptions {
  users?: string[];
  usersFile?: string;
  realm?: string;
  headerField?: string;
  removeHeader?: boolean;
}

export const credentialListSchema: OptionsSchema = {
  properties: {
    users: stringList,
    usersFile: { type: 'string' },
    realm: { type: 'string' },
    headerField: { type: 'string' },
    removeHeader: { type: 'boolean' },
  },
};

/** The inline lines, then the file's. Throws when the file cannot be read. */
export function credentialLines(o: CredentialListOptions): string[] {
  return [...(o.users ?? []), ...(o.usersFile ? readFileSync(o.usersFile, 'utf8').split('\n') : [])];
}

/** Problems with the credential lines, as `checkLines` finds them; a missing list or an unreadable file is one too. */
export function credentialListProblems(o: CredentialListOptions, checkLines: (lines: string[]) => OptionProblem[]): OptionProblem[] {
  if (!o.users?.length && !o.usersFile) return [['users', 'set users or usersFile']];
  let lines: string[];
  try {
    lines = credentialLines(o);
  } catch (err) {
    return [['usersFile', (err as Error).message]];
  }
  return checkLines(lines);
}
