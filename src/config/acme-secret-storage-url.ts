/**
 * `certificatesResolvers.<name>.acme.storage: kubernetes://<namespace>/<secret>`:
 * ACME storage in a Kubernetes Secret shared by every replica, one of which
 * (elected by a Lease) orders. Traefik's open-source edition has no
 * equivalent (its `storage` is a file path; distributed ACME is in Traefik
 * Enterprise only), so a scheme in the same key keeps Traefik's shape: a path
 * never starts with `kubernetes://`. Query parameters tune the Lease:
 * `leaseName` (default `<secret>-lease`) and `leaseDuration` (default 15s).
 */
import type { AcmeStorageSecret } from './static-config.js';
import { parseDurationMs } from './duration.js';

const SCHEME = 'kubernetes://';
/** A DNS-1123 label (namespace) and subdomain (Secret and Lease names). */
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DEFAULT_LEASE_DURATION_MS = 15_000;

export function isSecretStorage(storage: string | undefined): boolean {
  return !!storage?.startsWith(SCHEME);
}

/** Throws an Error saying what is wrong. */
export function parseSecretStorage(storage: string): AcmeStorageSecret {
  const [where, query = ''] = storage.slice(SCHEME.length).split('?', 2) as [string, string?];
  const [namespace, name, ...rest] = where.split('/');
  if (!namespace || !name || rest.length) throw new Error(`"${storage}": write kubernetes://<namespace>/<secret name>`);
  if (!LABEL.test(namespace)) throw new Error(`"${namespace}" is not a namespace name`);
  if (!SUBDOMAIN.test(name)) throw new Error(`"${name}" is not a Secret name`);
  const params = new URLSearchParams(query);
  const unknown = [...params.keys()].filter((k) => k !== 'leaseName' && k !== 'leaseDuration');
  if (unknown.length) throw new Error(`unknown parameter ${unknown.map((k) => `"${k}"`).join(', ')} (leaseName, leaseDuration)`);
  const leaseName = params.get('leaseName') ?? `${name}-lease`;
  if (!SUBDOMAIN.test(leaseName)) throw new Error(`leaseName "${leaseName}" is not a Lease name`);
  const duration = params.get('leaseDuration');
  const leaseDurationMs = duration === null ? DEFAULT_LEASE_DURATION_MS : parseDurationMs(duration);
  if (leaseDurationMs < 1000) throw new Error(`leaseDuration "${duration}": at least 1s (the Lease counts whole seconds)`);
  return { namespace, name, leaseName, leaseDurationMs };
}
