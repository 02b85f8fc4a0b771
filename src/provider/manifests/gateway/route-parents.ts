/**
 * Attaching a route to its parents: each parentRef that names one of our
 * Gateways picks that Gateway's listeners (by sectionName and port), keeps
 * those that take the route's kind from the route's namespace, and, for
 * kinds with hostnames, those whose hostname intersects the route's. The
 * outcome is the route's Accepted condition for that parent, with the
 * reason the spec gives when nothing is left.
 */
import type { KubeObject } from '../kube-objects.js';
import { GATEWAY_GROUP, condition, generationOf, type GatewayCondition } from './gateway-objects.js';
import { listenerUsable, type ResolvedListener } from './gateway-listeners.js';
import { intersectHostnames } from './hostnames.js';

export interface Attachment {
  listener: ResolvedListener;
  /** The hostnames served on this listener (undefined: any). */
  hostnames: string[] | undefined;
}

export interface ParentOutcome {
  /** The parentRef as the route wrote it, with defaults spelt out (status echoes it). */
  parentRef: Record<string, unknown>;
  attachments: Attachment[];
  accepted: GatewayCondition;
}

/** The parents that did not take the route, as problems reported on it (`/api/errors`, a Warning Event on the route). */
export function attachmentProblems(outcomes: readonly ParentOutcome[]): Array<{ path: string; message: string }> {
  return outcomes.filter((o) => o.accepted.status !== 'True').map((o) => ({ path: 'spec.parentRefs', message: `${o.accepted.reason}: ${o.accepted.message}` }));
}

/** Our Gateways' listeners by `namespace/name`. */
export type GatewayListeners = Map<string, ResolvedListener[]>;

export function attachRoute(route: KubeObject, kind: string, hostnames: string[] | undefined, gateways: GatewayListeners): ParentOutcome[] {
  const gen = generationOf(route);
  const ns = route.metadata.namespace ?? 'default';
  const refs = ((route.spec ?? {}) as { parentRefs?: unknown }).parentRefs;
  const out: ParentOutcome[] = [];
  for (const raw of Array.isArray(refs) ? (refs as Array<Record<string, unknown>>) : []) {
    const group = typeof raw.group === 'string' ? raw.group : GATEWAY_GROUP;
    const refKind = typeof raw.kind === 'string' ? raw.kind : 'Gateway';
    if (group !== GATEWAY_GROUP || refKind !== 'Gateway') continue;
    const gwNs = typeof raw.namespace === 'string' && raw.namespace ? raw.namespace : ns;
    const listeners = gateways.get(`${gwNs}/${String(raw.name)}`);
    // A parent that is not one of our Gateways is another controller's business: no status from us.
    if (!listeners) continue;
    const parentRef: Record<string, unknown> = { group, kind: refKind, namespace: gwNs, name: raw.name };
    if (raw.sectionName !== undefined) parentRef.sectionName = raw.sectionName;
    if (raw.port !== undefined) parentRef.port = raw.port;
    const fail = (reason: string, message: string): ParentOutcome => ({
      parentRef,
      attachments: [],
      accepted: condition('Accepted', false, reason, message, gen),
    });
    const named = listeners.filter((l) => (raw.sectionName === undefined || l.name === raw.sectionName) && (raw.port === undefined || l.port === raw.port));
    if (named.length === 0) {
      out.push(fail('NoMatchingParent', `Gateway ${gwNs}/${String(raw.name)} has no listener${describeRef(raw)}`));
      continue;
    }
    const allowed = named.filter((l) => listenerUsable(l) && l.supportedKinds.some((k) => k.kind === kind) && l.admits(ns));
    if (allowed.length === 0) {
      const why = named.every((l) => !listenerUsable(l))
        ? 'its listeners are not valid'
        : named.some((l) => l.supportedKinds.some((k) => k.kind === kind))
          ? `its listeners do not allow routes from namespace ${ns}`
          : `its listeners do not take ${kind}`;
      out.push(fail('NotAllowedByListeners', `Gateway ${gwNs}/${String(raw.name)}: ${why}`));
      continue;
    }
    const attachments: Attachment[] = [];
    for (const l of allowed) {
      const served = hostnames === undefined ? undefined : intersectHostnames(l.hostname, hostnames);
      if (served && served.length === 0) continue;
      attachments.push({ listener: l, hostnames: hostnames === undefined ? (l.hostname ? [l.hostname] : undefined) : served });
    }
    if (attachments.length === 0) {
      out.push(fail('NoMatchingListenerHostname', `no listener hostname of Gateway ${gwNs}/${String(raw.name)} matches ${hostnames!.join(', ')}`));
      continue;
    }
    out.push({ parentRef, attachments, accepted: condition('Accepted', true, 'Accepted', 'the route is attached', gen) });
  }
  return out;
}

/**
 * The route's status.parents entries: each parent's Accepted (False with
 * UnsupportedValue when the route asks for something Portico does not do)
 * and the route's ResolvedRefs; an accepted parent counts the route on each
 * listener it attached to.
 */
export function parentStatuses(
  outcomes: ParentOutcome[],
  unsupported: string | undefined,
  problems: Array<{ reason: string; message: string }>,
  generation: number | undefined,
  controllerName: string,
): Array<Record<string, unknown>> {
  const resolvedRefs = problems.length
    ? condition('ResolvedRefs', false, problems[0]!.reason, problems.map((p) => p.message).join('; '), generation)
    : condition('ResolvedRefs', true, 'ResolvedRefs', 'every backendRef is resolved', generation);
  return outcomes.map((o) => {
    const accepted = o.accepted.status === 'True' && unsupported ? condition('Accepted', false, 'UnsupportedValue', unsupported, generation) : o.accepted;
    if (accepted.status === 'True') for (const a of o.attachments) a.listener.attachedRoutes++;
    return { parentRef: o.parentRef, controllerName, conditions: [accepted, resolvedRefs] };
  });
}

function describeRef(raw: Record<string, unknown>): string {
  const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v));
  const parts = [raw.sectionName !== undefined ? `named "${text(raw.sectionName)}"` : '', raw.port !== undefined ? `on port ${text(raw.port)}` : ''];
  return parts.filter(Boolean).length ? ` ${parts.filter(Boolean).join(' ')}` : '';
}
