/**
 * Status of Gateway API objects, written through the status subresource
 * only when it differs from what the object shows. Conditions keep their
 * lastTransitionTime while their status stays the same; route `parents` and
 * policy `ancestors` written by other controllers are kept beside ours.
 * One write at a time; a conflict (409) waits for the object's next version.
 */
import * as k8s from '@kubernetes/client-node';
import { describeApiError, statusOf } from './api-error.js';
import { GATEWAY_RESOURCES } from './gateway-collections.js';
import { GATEWAY_GROUP, type StatusUpdate } from '../manifests/gateway/gateway-objects.js';

type Condition = { type?: string; status?: string; lastTransitionTime?: string };
type Json = Record<string, unknown>;

export class GatewayStatusWriter {
  private readonly api: k8s.CustomObjectsApi;
  private queue: Promise<void> = Promise.resolve();
  /** `Kind/ns/name` → the object version and status already written (or queued) for it. */
  private readonly done = new Map<string, string>();
  error: string | undefined;
  writes = 0;

  constructor(
    kc: k8s.KubeConfig,
    private readonly controllerNames: string[],
    private readonly log: (level: 'debug' | 'warn', msg: string) => void,
    private readonly onErrorChange: () => void = () => undefined,
  ) {
    this.api = kc.makeApiClient(k8s.CustomObjectsApi);
  }

  /** Bring each object's status to what the conversion says; resolves when the writes this call started are done. */
  update(updates: StatusUpdate[]): Promise<void> {
    const now = new Date().toISOString();
    const stale: Array<{ update: StatusUpdate; status: Json }> = [];
    for (const u of updates) {
      const current = ((u.object as { status?: Json }).status ?? {}) as Json;
      const status = this.merge(u.kind, current, u.status, now);
      if (JSON.stringify(withoutTimes(status)) === JSON.stringify(withoutTimes(current))) continue;
      const key = `${u.kind}/${u.namespace ?? ''}/${u.name}`;
      const mark = `${(u.object.metadata as { resourceVersion?: string }).resourceVersion}|${JSON.stringify(withoutTimes(status))}`;
      if (this.done.get(key) === mark) continue;
      this.done.set(key, mark);
      stale.push({ update: u, status });
    }
    if (stale.length === 0) return this.queue;
    this.queue = this.queue.then(() => this.write(stale));
    return this.queue;
  }

  /** The status to write: ours, with other controllers' parents/ancestors kept and unchanged conditions keeping their time. */
  private merge(kind: string, current: Json, wanted: Json, now: string): Json {
    const out: Json = { ...current, ...wanted };
    for (const list of ['parents', 'ancestors'] as const) {
      if (!(list in wanted)) continue;
      const theirs = ((current[list] ?? []) as Json[]).filter((p) => !this.controllerNames.includes(String(p.controllerName)));
      const oursBefore = ((current[list] ?? []) as Json[]).filter((p) => this.controllerNames.includes(String(p.controllerName)));
      const refKey = list === 'parents' ? 'parentRef' : 'ancestorRef';
      out[list] = [
        ...theirs,
        ...(wanted[list] as Json[]).map((p) => {
          const before = oursBefore.find((b) => JSON.stringify(b[refKey]) === JSON.stringify(p[refKey]));
          return { ...p, conditions: timed(p.conditions as Condition[], before?.conditions as Condition[] | undefined, now) };
        }),
      ];
    }
    if (wanted.conditions) out.conditions = timed(wanted.conditions as Condition[], current.conditions as Condition[] | undefined, now);
    if (kind === 'Gateway' && Array.isArray(wanted.listeners)) {
      const before = (current.listeners ?? []) as Json[];
      out.listeners = (wanted.listeners as Json[]).map((l) => ({
        ...l,
        conditions: timed(l.conditions as Condition[], before.find((b) => b.name === l.name)?.conditions as Condition[] | undefined, now),
      }));
    }
    return out;
  }

  private async write(items: Array<{ update: StatusUpdate; status: Json }>): Promise<void> {
    let problem: string | undefined;
    for (const { update: u, status } of items) {
      const r = GATEWAY_RESOURCES.find((x) => x.kind === u.kind)!;
      const body = { ...u.object, apiVersion: `${GATEWAY_GROUP}/${r.version}`, kind: u.kind, status };
      try {
        this.writes++;
        if (u.namespace)
          await this.api.replaceNamespacedCustomObjectStatus({
            group: GATEWAY_GROUP,
            version: r.version,
            namespace: u.namespace,
            plural: r.plural,
            name: u.name,
            body,
          });
        else await this.api.replaceClusterCustomObjectStatus({ group: GATEWAY_GROUP, version: r.version, plural: r.plural, name: u.name, body });
      } catch (err) {
        if (statusOf(err) === 409) continue;
        problem = describeApiError(err, { verb: 'update', resource: `${r.plural}/status.${GATEWAY_GROUP}`, namespace: u.namespace });
        this.log('warn', `cannot write the status of ${u.kind} ${u.namespace ? `${u.namespace}/` : ''}${u.name}: ${problem}`);
        this.done.delete(`${u.kind}/${u.namespace ?? ''}/${u.name}`);
      }
    }
    if (problem !== this.error) {
      this.error = problem;
      this.onErrorChange();
    }
  }
}

/** Conditions with lastTransitionTime: kept from before when the status did not change, else now. */
function timed(conditions: Condition[], before: Condition[] | undefined, now: string): Condition[] {
  return conditions.map((c) => {
    const old = before?.find((b) => b.type === c.type);
    return { ...c, lastTransitionTime: old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : now };
  });
}

function withoutTimes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutTimes);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v as Json)
        .filter(([k]) => k !== 'lastTransitionTime')
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, x]) => [k, withoutTimes(x)]),
    );
  return v;
}
