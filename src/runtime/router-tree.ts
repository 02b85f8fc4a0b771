/**
 * Traefik's multi-layer routing, as a tree of router names: which routers are
 * roots (no `parentRefs`, attached to entrypoints), which are each router's
 * children, and what is wrong with the shape. Pure: the route builder turns
 * the tree into handlers.
 *
 * The rules are Traefik's: a child names existing parents and has no
 * entrypoints or TLS of its own (it takes its roots'); a router has either a
 * service or children, never both and never neither; a router no root reaches
 * is disabled; a cycle is broken by dropping the edge that closes it, with an
 * error on the router that named it.
 */
import type { Router } from '../dynamic/model.js';

export interface RouterTree {
  /** Routers without parentRefs, sorted. */
  roots: string[];
  /** Parent → its children (sorted), cycles removed. */
  children: Map<string, string[]>;
  /** Routers reachable from a root. */
  reachable: Set<string>;
}

/**
 * `fail(router, field, message)` reports one problem; a router with any is left out by the caller.
 * A broken cycle is only a warning: the router still serves through its other parents.
 */
export function routerTree(
  routers: Readonly<Record<string, Router>>,
  fail: (router: string, field: string, message: string, warningOnly?: boolean) => void,
): RouterTree {
  const roots: string[] = [];
  const children = new Map<string, string[]>();
  for (const [name, r] of Object.entries(routers)) {
    if (!r.parentRefs?.length) {
      roots.push(name);
      continue;
    }
    r.parentRefs.forEach((parent, i) => {
      if (!routers[parent]) return fail(name, `parentRefs[${i}]`, `no router named "${parent}"`);
      const list = children.get(parent) ?? children.set(parent, []).get(parent)!;
      if (!list.includes(name)) list.push(name);
    });
    if (r.entryPoints?.length) fail(name, 'entryPoints', 'a child router (with parentRefs) takes the entrypoints of its parents and cannot have its own');
    if (r.tls) fail(name, 'tls', 'a child router (with parentRefs) takes the TLS of its parents and cannot have its own');
  }
  roots.sort();
  for (const list of children.values()) list.sort();

  const reachable = new Set<string>();
  const onPath = new Set<string>();
  const path: string[] = [];
  const visit = (name: string) => {
    reachable.add(name);
    onPath.add(name);
    path.push(name);
    const list = children.get(name) ?? [];
    for (const child of [...list]) {
      if (onPath.has(child)) {
        const cycle = [...path.slice(path.indexOf(child)), child].join(' -> ');
        fail(child, 'parentRefs', `cyclic reference in the router tree (${cycle}): "${name}" is not used as its parent`, true);
        list.splice(list.indexOf(child), 1);
      } else if (!reachable.has(child)) visit(child);
    }
    onPath.delete(name);
    path.pop();
  };
  for (const root of roots) visit(root);

  for (const [name, r] of Object.entries(routers)) {
    const hasChildren = (children.get(name)?.length ?? 0) > 0;
    if (!reachable.has(name)) fail(name, 'parentRefs', 'no root router reaches this router (its parents form a cycle or are children of it)');
    else if (r.service === undefined && !hasChildren) fail(name, 'service', 'is required (this router has no child routers)');
    else if (r.service !== undefined && hasChildren)
      fail(name, 'service', `a router with child routers (${children.get(name)!.join(', ')}) cannot have a service: its children choose`);
  }
  return { roots, children, reachable };
}
