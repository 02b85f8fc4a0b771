/**
 * Private keys for ACME: the certificate key of a resolver's `keyType`, and the
 * account key. Keys are PEM in lego's encodings (PKCS#1 for RSA, SEC1 for EC),
 * so the storage file reads the same as Traefik's. Generated off the event
 * loop (an RSA 4096 key takes a second or more).
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { AcmeKeyType } from '../config/static-config.js';

const generate = promisify(generateKeyPair);

export async function createCertificateKey(keyType: AcmeKeyType): Promise<string> {
  switch (keyType) {
    case 'EC256':
    case 'EC384': {
      const { privateKey } = await generate('ec', { namedCurve: keyType === 'EC256' ? 'prime256v1' : 'secp384r1' });
      return privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    }
    default: {
      const { privateKey } = await generate('rsa', { modulusLength: Number(keyType.slice(3)) });
      return privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    }
  }
}

/**
 * The account key: RSA, since Traefik's storage format holds only an RSA
 * account key (PKCS#1). 2048 bits, as certbot's default: Traefik's 4096 took
 * over twenty seconds of a busy small machine's CPU, and CAs accept both.
 */
export function createAccountKey(): Promise<string> {
  return createCertificateKey('RSA2048');
}

/** lego's name of a key type, which Traefik writes as the account's `KeyType`. */
export function legoKeyType(keyType: AcmeKeyType): string {
  return keyType.startsWith('EC') ? `P${keyType.slice(2)}` : keyType.slice(3);
}
