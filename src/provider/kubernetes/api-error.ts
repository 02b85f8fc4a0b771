/** Errors from the API server, said so that an operator knows what to change. */

/** What Portico was doing when the API answered with an error. */
export interface ApiAction {
  verb: 'list' | 'watch' | 'create' | 'update';
  /** Resource plural, with its group: `secrets`, `ingressroutes.portico.dev`, `ingresses/status.networking.k8s.io`. */
  resource: string;
  /** Undefined: all namespaces (or a cluster-scoped resource). */
  namespace?: string;
}

/** The HTTP status of an ApiException (`code`), a Watch error (`statusCode`) or a Status object. */
export function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (e && typeof e.code === 'number') return e.code;
  if (e && typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

export function describeApiError(err: unknown, action: ApiAction): string {
  const where = action.namespace ? `in namespace "${action.namespace}"` : 'in all namespaces';
  const status = statusOf(err);
  if (status === 403)
    return `RBAC: Portico's service account may not ${action.verb} ${action.resource} ${where}; grant the "${action.verb}" verb on ${action.resource} to it (the Helm chart's ClusterRole does)`;
  if (status === 401)
    return `the API server rejected Portico's credentials (401) when trying to ${action.verb} ${action.resource}; check the token or kubeconfig`;
  if (status === 404) {
    const group = action.resource.split('.').slice(1).join('.');
    return group && group !== 'networking.k8s.io' && group !== 'discovery.k8s.io'
      ? `${action.resource} is not served by the API server: install the CRDs (kubectl apply -f charts/portico/crds/) or turn off the groups you do not use`
      : `${action.resource} is not served by the API server (404) ${where}`;
  }
  const message = (err as Error)?.message ?? String(err);
  return `could not ${action.verb} ${action.resource} ${where}: ${status ? `HTTP ${status}: ` : ''}${message}`;
}
