/**
 * The DNS-01 providers Portico does, by lego's names, with the environment
 * variable each one cannot work without. Traefik hands `dnsChallenge.provider`
 * to lego, which has over a hundred providers; Portico implements the two
 * generic ones (a program of yours, or an HTTP endpoint of yours), which reach
 * any DNS service through a small script or adapter. The variables are
 * lego's, so a Traefik setup of these two carries over unchanged.
 */
export const ACME_DNS_PROVIDERS = {
  exec: 'EXEC_PATH',
  httpreq: 'HTTPREQ_ENDPOINT',
} as const;

export type AcmeDnsProviderName = keyof typeof ACME_DNS_PROVIDERS;

export function isAcmeDnsProvider(name: string): name is AcmeDnsProviderName {
  return Object.hasOwn(ACME_DNS_PROVIDERS, name);
}

/** lego's reading of a variable: `NAME`, or the content of the file `NAME_FILE` names (trimmed). */
export function legoEnv(env: NodeJS.ProcessEnv, name: string, readFile: (path: string) => string): string | undefined {
  if (env[name]) return env[name];
  const file = env[`${name}_FILE`];
  return file ? readFile(file).trim() : undefined;
}
