/**
 * ReferenceGrant: a reference from one namespace into another (a route's
 * backendRef, a Gateway listener's certificateRef) is allowed only when a
 * ReferenceGrant in the target namespace lists the source's group, kind and
 * namespace in `from` and the target's group, kind (and name, when given)
 * in `to`. References within a namespace need none.
 */
import type { KubeObject } from '../kube-objects.js';

interface GrantFrom {
  group: string;
  kind: string;
  namespace: string;
}

interface GrantTo {
  group: string;
  kind: string;
  name?: string;
}

export class ReferenceGrants {
  private readonly byNamespace = new Map<string, Array<{ from: GrantFrom[]; to: GrantTo[] }>>();

  constructor(grants: KubeObject[]) {
    for (const g of grants) {
      const spec = (g.spec ?? {}) as { from?: unknown; to?: unknown };
      const from = (Array.isArray(spec.from) ? spec.from : []).filter(isRecord).map((f) => ({
        group: str(f.group),
        kind: str(f.kind),
        namespace: str(f.namespace),
      }));
      const to = (Array.isArray(spec.to) ? spec.to : []).filter(isRecord).map((t) => ({
        group: str(t.group),
        kind: str(t.kind),
        ...(typeof t.name === 'string' && t.name ? { name: t.name } : {}),
      }));
      const ns = g.metadata.namespace ?? 'default';
      (this.byNamespace.get(ns) ?? this.byNamespace.set(ns, []).get(ns)!).push({ from, to });
    }
  }

  /** Whether an object of `from` (group, kind, namespace) may refer to `to` (group, kind, namespace, name). */
  allows(from: GrantFrom, to: GrantTo & { namespace: string; name: string }): boolean {
    if (from.namespace === to.namespace) return true;
    return (this.byNamespace.get(to.namespace) ?? []).some(
      (g) =>
        g.from.some((f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace) &&
        g.to.some((t) => t.group === to.group && t.kind === to.kind && (t.name === undefined || t.name === to.name)),
    );
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
