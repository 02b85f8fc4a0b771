/**
 * Where the Kubernetes API is and how to authenticate, as the client library's
 * KubeConfig: an explicit endpoint (+ token), a kubeconfig file, the pod's
 * service account, or the usual defaults ($KUBECONFIG, ~/.kube/config).
 */
import * as k8s from '@kubernetes/client-node';

export interface KubernetesConnectionOptions {
  /** API server URL (`https://10.0.0.1:6443`); with `token`, used instead of any kubeconfig. */
  endpoint?: string;
  /** Bearer token for `endpoint`. */
  token?: string;
  /** CA bundle (file path) that signed the API server's certificate, for an https `endpoint`. */
  caFile?: string;
  /** Accept any API server certificate (testing only). */
  insecureSkipVerify?: boolean;
  /** Path of a kubeconfig file; its current context is used. */
  kubeconfig?: string;
  /** Force the in-cluster service account (default: used when KUBERNETES_SERVICE_HOST is set). */
  inCluster?: boolean;
}

export function loadKubeConfig(o: KubernetesConnectionOptions): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (o.endpoint) {
    kc.loadFromOptions({
      // The client refuses plain http:// unless verification is "skipped"; there is no TLS to verify.
      clusters: [{ name: 'portico', server: o.endpoint, skipTLSVerify: o.endpoint.startsWith('http://') || o.insecureSkipVerify === true, caFile: o.caFile }],
      users: [{ name: 'portico', token: o.token }],
      contexts: [{ name: 'portico', cluster: 'portico', user: 'portico' }],
      currentContext: 'portico',
    });
  } else if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
  else if (o.inCluster || process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster())
    throw new Error('Kubernetes: no API server configured; set endpoint, kubeconfig, or run in a pod (in-cluster), or create ~/.kube/config');
  return kc;
}
