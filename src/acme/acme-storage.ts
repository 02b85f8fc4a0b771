/**
 * The ACME storage file in Traefik's `acme.json` format, so a Traefik user's
 * file works here and back: one entry per resolver name holding the
 * `Account` (e-mail, registration URI, the RSA account key as base64 PKCS#1
 * DER, as Traefik writes it, and the certificates' key type) and the `Certificates` (domain main + sans, the
 * PEM chain and PEM key, each base64, and the TLS store). Several resolvers
 * may share one file: a write replaces only its own resolver's entry.
 *
 * Written atomically (a temporary file renamed over the old one) with mode
 * 0600, since it holds private keys; writes to one file are serialised.
 */
import { createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface StoredAccount {
  email?: string;
  /** The account URL at the CA (Traefik's `Registration.uri`). */
  url?: string;
  /** PEM of the account key. */
  keyPem: string;
}

export interface StoredAcmeCertificate {
  /** First name is Traefik's `main`, the rest its `sans`. */
  domains: string[];
  certPem: string;
  keyPem: string;
}

export interface ResolverStorage {
  account?: StoredAccount;
  /** lego's name of the resolver's certificate key type (`P256`, `4096`…), written as Traefik does. */
  keyType?: string;
  certificates: StoredAcmeCertificate[];
}

/** Traefik's JSON shape (pkg/provider/acme/local_store.go's StoredData). */
export interface TraefikResolverEntry {
  Account?: { Email?: string; Registration?: { body?: unknown; uri?: string }; PrivateKey?: string; KeyType?: string } | null;
  Certificates?: Array<{ domain?: { main?: string; sans?: string[] }; certificate?: string; key?: string; Store?: string }> | null;
}

export type TraefikFile = Record<string, TraefikResolverEntry>;

export class AcmeStorageError extends Error {}

/** Where a resolver's account and certificates are kept: Traefik's acme.json file, or the same document in a Kubernetes Secret. */
export interface AcmeStorage {
  /** For messages and the API: the file path, or `kubernetes://namespace/secret`. */
  readonly path: string;
  /** This resolver's entry as last read. Throws AcmeStorageError when the document cannot be used. */
  read(resolver: string): ResolverStorage;
  /** Replace this resolver's entry, keeping the others'. */
  write(resolver: string, data: ResolverStorage): Promise<void>;
}

/** Read the whole file; a missing or empty file is an empty store. Throws AcmeStorageError naming the file when it cannot be used. */
function readTraefikFile(path: string): TraefikFile {
  if (!existsSync(path)) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AcmeStorageError(`cannot read ACME storage ${path}: ${(err as Error).message}`);
  }
  return parseTraefikDocument(text, path);
}

/** Traefik's acme.json text (empty: an empty store). Throws AcmeStorageError naming `path`. */
export function parseTraefikDocument(text: string, path: string): TraefikFile {
  if (!text.trim()) return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new AcmeStorageError(`ACME storage ${path} is not JSON: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new AcmeStorageError(`ACME storage ${path}: the top level must be an object of resolvers`);
  return doc as TraefikFile;
}

export function fromTraefik(entry: TraefikResolverEntry | undefined, path: string, resolver: string): ResolverStorage {
  const out: ResolverStorage = { certificates: [] };
  const a = entry?.Account;
  if (a?.PrivateKey) {
    try {
      const keyPem = createPrivateKey({ key: Buffer.from(a.PrivateKey, 'base64'), format: 'der', type: 'pkcs1' })
        .export({ type: 'pkcs1', format: 'pem' })
        .toString();
      out.account = { email: a.Email || undefined, url: a.Registration?.uri || undefined, keyPem };
    } catch (err) {
      throw new AcmeStorageError(`ACME storage ${path}: the account key of resolver "${resolver}" does not parse: ${(err as Error).message}`);
    }
  }
  for (const c of entry?.Certificates ?? []) {
    if (!c?.domain?.main || !c.certificate || !c.key) continue;
    out.certificates.push({
      domains: [c.domain.main, ...(c.domain.sans ?? [])].map((d) => d.toLowerCase()),
      certPem: Buffer.from(c.certificate, 'base64').toString('utf8'),
      keyPem: Buffer.from(c.key, 'base64').toString('utf8'),
    });
  }
  return out;
}

export function toTraefik(data: ResolverStorage): TraefikResolverEntry {
  const a = data.account;
  return {
    Account: a
      ? {
          Email: a.email ?? '',
          Registration: a.url ? { body: { status: 'valid', ...(a.email ? { contact: [`mailto:${a.email}`] } : {}) }, uri: a.url } : undefined,
          PrivateKey: createPrivateKey(a.keyPem).export({ type: 'pkcs1', format: 'der' }).toString('base64'),
          KeyType: data.keyType ?? '4096',
        }
      : null,
    Certificates: data.certificates.map((c) => ({
      domain: { main: c.domains[0]!, ...(c.domains.length > 1 ? { sans: c.domains.slice(1) } : {}) },
      certificate: Buffer.from(c.certPem).toString('base64'),
      key: Buffer.from(c.keyPem).toString('base64'),
      Store: 'default',
    })),
  };
}

/** Writes queued per file path, so two resolvers sharing a file never lose each other's entry. */
const writeQueues = new Map<string, Promise<void>>();

export class AcmeStorageFile implements AcmeStorage {
  constructor(readonly path: string) {}

  read(resolver: string): ResolverStorage {
    return fromTraefik(readTraefikFile(this.path)[resolver], this.path, resolver);
  }

  /** Replace this resolver's entry, keeping the others'. */
  write(resolver: string, data: ResolverStorage): Promise<void> {
    const previous = writeQueues.get(this.path) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const doc = readTraefikFile(this.path);
        doc[resolver] = toTraefik(data);
        await mkdir(dirname(this.path), { recursive: true });
        const tmp = `${this.path}.${process.pid}.tmp`;
        await writeFile(tmp, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
        await rename(tmp, this.path);
        // A file the user created with a wider mode is narrowed too: it holds private keys.
        chmodSync(this.path, 0o600);
      });
    writeQueues.set(this.path, next);
    return next;
  }
}
