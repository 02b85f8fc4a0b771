/**
 * Validates any Kubernetes object we ship or render: built-in kinds with the
 * OpenAPI schemas in kubernetes-models, our custom resources (portico.dev and
 * the Traefik groups the file provider accepts) with our CRD schemas, and CRDs
 * themselves with the apiextensions schema.
 */
import * as models from 'kubernetes-models';
import { CrdValidator } from './crd-validator.js';

export interface KubernetesObject {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

type ModelClass = new (data: unknown) => { validate(): void };

function groupNamespace(group: string): string {
  // networking.k8s.io → networkingK8sIo, as kubernetes-models names its exports.
  return group.split('.').map((part, i) => (i === 0 ? part : part[0]!.toUpperCase() + part.slice(1))).join('');
}

export class KubernetesObjectValidator {
  private readonly crds = new CrdValidator();

  /** Problems (empty when valid); `unknownKind` when this validator has no schema for it. */
  validate(object: KubernetesObject): { problems: string[]; unknownKind?: boolean } {
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string')
      return { problems: ['apiVersion and kind must be strings'] };
    if (!object.metadata?.name) return { problems: ['metadata.name is required'] };
    if (this.crds.handles(object)) return { problems: this.crds.validate(object) };
    const [groupOrVersion, maybeVersion] = object.apiVersion.split('/');
    const group = maybeVersion ? groupNamespace(groupOrVersion!) : 'v1';
    const byGroup = (models as unknown as Record<string, Record<string, Record<string, ModelClass>>>)[group];
    const Model = maybeVersion ? byGroup?.[maybeVersion]?.[object.kind] : (byGroup as unknown as Record<string, ModelClass> | undefined)?.[object.kind];
    if (!Model) return { problems: [], unknownKind: true };
    try {
      new Model(object).validate();
      return { problems: [] };
    } catch (err) {
      return { problems: [(err as Error).message] };
    }
  }
}
