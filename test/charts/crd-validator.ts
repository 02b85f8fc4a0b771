/**
 * Validates custom resources against the openAPIV3Schema of our CRDs the way
 * an API server with strict field validation would: unknown fields are errors
 * (the server would prune them silently, which is how typos go unnoticed).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { buildCrds, CRD_GROUP, type Schema } from '../../scripts/generate-crds.js';

/** API groups whose resources we validate with our schemas (Traefik's are accepted by the file provider too). */
export const PORTICO_COMPATIBLE_GROUPS = [CRD_GROUP, 'traefik.io', 'traefik.containo.us'];

function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (node === null || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'enum' || k === 'required' ? v : strict(v);
  if (out.type === 'object' && out.properties && out['x-kubernetes-preserve-unknown-fields'] !== true && out.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}

export class CrdValidator {
  private readonly byKind = new Map<string, ValidateFunction>();

  constructor() {
    const ajv = new Ajv({ allErrors: true, strict: true });
    ajv.addKeyword('x-kubernetes-int-or-string');
    ajv.addKeyword('x-kubernetes-preserve-unknown-fields');
    for (const crd of buildCrds())
      this.byKind.set(crd.spec.names.kind, ajv.compile(strict(crd.spec.versions[0]!.schema.openAPIV3Schema) as object));
  }

  /** Whether `object` is a resource of one of our kinds (by group, any version v1alpha1 or v1). */
  handles(object: { apiVersion?: unknown; kind?: unknown; [key: string]: unknown }): boolean {
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') return false;
    const [group] = object.apiVersion.split('/');
    return PORTICO_COMPATIBLE_GROUPS.includes(group!) && this.byKind.has(object.kind);
  }

  /** Problems as `path: message` strings; empty when valid. */
  validate(object: { apiVersion?: unknown; kind?: unknown; [key: string]: unknown }): string[] {
    const validate = this.byKind.get(String(object.kind));
    if (!validate) return [`kind ${String(object.kind)} is not one of ${[...this.byKind.keys()].join(', ')}`];
    if (validate(object)) return [];
    return (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'}: ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
  }
}
