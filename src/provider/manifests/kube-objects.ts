/** The parts of Kubernetes objects the conversion reads, and a by-namespace index of them. */
export interface KubeMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMeta;
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  type?: string;
  subsets?: unknown[];
  endpoints?: unknown[];
  ports?: unknown[];
}

export interface IndexedObject {
  object: KubeObject;
  source: string;
  line?: number;
}

export function objectKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
}

/** Value of a Secret key: `data` is base64, `stringData` plain text. */
export function secretValue(secret: KubeObject, key: string): string | undefined {
  if (secret.stringData?.[key] !== undefined) return secret.stringData[key];
  const b64 = secret.data?.[key];
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8');
}
