/**
 * Where an entrypoint's QUIC stateless reset key comes from:
 * `http3.statelessResetKeyFile` (a file, e.g. a mounted Kubernetes Secret)
 * or `http3.statelessResetKeyEnv` (the name of an environment variable),
 * at most one of them; neither means a random key per process. The secret
 * itself never sits in the configuration file.
 */
import { readFileSync } from 'node:fs';
import type { Http3Config } from './static-config.js';
import { MIN_KEY_LENGTH } from '../quic/stateless-reset.js';

/** The configured key, undefined when none is configured; throws a message naming the option when it is unusable. */
export function readStatelessResetKey(h3: Http3Config): Buffer | undefined {
  if (h3.statelessResetKeyFile !== undefined && h3.statelessResetKeyEnv !== undefined)
    throw new Error('set statelessResetKeyFile or statelessResetKeyEnv, not both');
  let key: Buffer;
  let from: string;
  if (h3.statelessResetKeyFile !== undefined) {
    from = `statelessResetKeyFile (${h3.statelessResetKeyFile})`;
    try {
      key = readFileSync(h3.statelessResetKeyFile);
    } catch (err) {
      throw new Error(`${from}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
  } else if (h3.statelessResetKeyEnv !== undefined) {
    from = `statelessResetKeyEnv (${h3.statelessResetKeyEnv})`;
    const value = process.env[h3.statelessResetKeyEnv];
    if (value === undefined) throw new Error(`${from}: the environment variable is not set`);
    key = Buffer.from(value);
  } else {
    return undefined;
  }
  // A trailing newline (echo > file, kubectl create secret --from-file) is not part of the secret.
  key = Buffer.from(key.toString('latin1').replace(/\r?\n$/, ''), 'latin1');
  if (key.length < MIN_KEY_LENGTH)
    throw new Error(`${from}: the key must be at least ${MIN_KEY_LENGTH} bytes, it has ${key.length} (e.g. openssl rand -hex 32)`);
  return key;
}
