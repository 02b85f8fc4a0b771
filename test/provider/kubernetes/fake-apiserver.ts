/**
 * A Kubernetes API server for tests: real HTTP on 127.0.0.1, speaking the
 * list/watch protocol as the real one does, so the providers run through the
 * real client library.
 *
 * - lists carry metadata.resourceVersion and omit kind/apiVersion on items;
 *   `limit` pages them with `continue` tokens, which expire (HTTP 410) once
 *   history is compacted past them;
 * - `?watch=true&resourceVersion=N` streams JSON lines (ADDED, MODIFIED,
 *   DELETED, BOOKMARK for `allowWatchBookmarks`, ERROR) over chunked HTTP,
 *   replaying history after N; a compacted N gets 410 Gone, as an ERROR event
 *   in a 200 stream (what servers do) or as an HTTP 410;
 *   `timeoutSeconds` ends the stream as the server would;
 * - streams can be dropped mid-flight; chosen verbs on chosen collections are
 *   answered 403; uninstalled groups 404;
 * - Events can be POSTed; status PUT on any kind, namespaced or cluster-scoped
 *   (with resourceVersion conflicts, 409);
 * - Secrets and Leases (coordination.k8s.io/v1) can be read by name, created
 *   (409 AlreadyExists) and replaced (409 Conflict on a stale resourceVersion),
 *   what HA ACME's storage and leader election do (objectRequest).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string>; uid?: string };
  [k: string]: unknown;
}

const PLURALS: Record<string, string> = {
  IngressRoute: 'ingressroutes',
  IngressRouteTCP: 'ingressroutetcps',
  IngressRouteUDP: 'ingressrouteudps',
  MiddlewareTCP: 'middlewaretcps',
  ServersTransportTCP: 'serverstransporttcps',
  Middleware: 'middlewares',
  TLSStore: 'tlsstores',
  TLSOption: 'tlsoptions',
  ServersTransport: 'serverstransports',
  TraefikService: 'traefikservices',
  Secret: 'secrets',
  Service: 'services',
  Endpoints: 'endpoints',
  EndpointSlice: 'endpointslices',
  Ingress: 'ingresses',
  IngressClass: 'ingressclasses',
  Event: 'events',
  Lease: 'leases',
  Namespace: 'namespaces',
  ConfigMap: 'configmaps',
  GatewayClass: 'gatewayclasses',
  Gateway: 'gateways',
  HTTPRoute: 'httproutes',
  GRPCRoute: 'grpcroutes',
  TLSRoute: 'tlsroutes',
  TCPRoute: 'tcproutes',
  UDPRoute: 'udproutes',
  ReferenceGrant: 'referencegrants',
  BackendTLSPolicy: 'backendtlspolicies',
};

/** Kinds without a namespace. */
const CLUSTER_SCOPED = new Set(['IngressClass', 'GatewayClass', 'Namespace']);

/** `/apis/<group>/<version>/<plural>` (or `/api/v1/<plural>`) for an object's kind, without namespace. */
export function collectionOf(o: { apiVersion: string; kind: string }): string {
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  return `${base}/${PLURALS[o.kind]}`;
}

/** Collections whose objects can be read by name, created and replaced (objectRequest). */
const OBJECT_WRITABLE = new Set(['/api/v1/secrets', '/apis/coordination.k8s.io/v1/leases']);

/** The request's body as an object, or undefined when it is not JSON. */
function readJsonObject(req: http.IncomingMessage, then: (body: KObject | undefined) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: KObject | undefined;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as KObject;
    } catch {
      body = undefined;
    }
    then(body);
  });
}

interface Watcher {
  collection: string;
  namespace?: string;
  selector: string | null;
  bookmarks: boolean;
  res: http.ServerResponse;
}

export class FakeApiServer {
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly objects = new Map<string, Map<string, KObject>>();
  private readonly history: Array<{ rv: number; collection: string; type: string; object: KObject }> = [];
  private readonly watchers = new Set<Watcher>();
  private rv = 100;
  private uid = 0;
  private compactedBelow = 0;
  /** `<verb> <collection path>`, verb list|watch|create|update, path without namespace: answered 403. */
  readonly forbidden = new Set<string>();
  /** API groups whose CRDs are not installed: answered 404. */
  readonly uninstalledGroups = new Set<string>();
  /** How a watch from a compacted resourceVersion is refused. */
  staleWatchAnswer: 'event' | 'http' = 'event';
  requests: string[] = [];
  writes: Array<{ method: string; path: string; body: KObject }> = [];
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.dropWatches();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** Create or replace an object (kubectl apply). */
  apply(o: KObject): KObject {
    const col = collectionOf(o);
    const map = this.objects.get(col) ?? this.objects.set(col, new Map()).get(col)!;
    const stored = structuredClone(o);
    if (!CLUSTER_SCOPED.has(o.kind)) stored.metadata.namespace ??= 'default';
    const old = map.get(this.keyOf(stored));
    if (o.apiVersion.startsWith('gateway.networking.k8s.io/')) {
      // Gateway API conversion orders routes by age and writes observedGeneration: as the API server, set both.
      type Meta = { creationTimestamp?: string; generation?: number };
      const meta = stored.metadata as Meta;
      const before = old?.metadata as Meta | undefined;
      meta.creationTimestamp ??= before?.creationTimestamp ?? new Date(Date.now() + this.rv).toISOString();
      meta.generation = (before?.generation ?? 0) + 1;
    }
    stored.metadata.uid = old?.metadata.uid ?? `uid-${++this.uid}`;
    if (old && old.status !== undefined && stored.status === undefined) stored.status = old.status;
    stored.metadata.resourceVersion = String(++this.rv);
    map.set(this.keyOf(stored), stored);
    this.publish(col, old ? 'MODIFIED' : 'ADDED', stored);
    return stored;
  }

  delete(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): void {
    const col = collectionOf(o);
    const key = `${CLUSTER_SCOPED.has(o.kind) ? '' : (o.metadata.namespace ?? 'default')}/${o.metadata.name}`;
    const stored = this.objects.get(col)?.get(key);
    if (!stored) return;
    this.objects.get(col)!.delete(key);
    this.publish(col, 'DELETED', { ...stored, metadata: { ...stored.metadata, resourceVersion: String(++this.rv) } });
  }

  get(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): KObject | undefined {
    return this.objects.get(collectionOf(o))?.get(`${CLUSTER_SCOPED.has(o.kind) ? '' : (o.metadata.namespace ?? 'default')}/${o.metadata.name}`);
  }

  /** Close every open watch stream mid-flight (a restarting API server, or a proxy timing out). */
  dropWatches(): void {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
  }

  /** Forget history: watches and continue tokens from an older resourceVersion now get 410 Gone. */
  compact(): void {
    this.compactedBelow = this.rv;
    this.history.length = 0;
  }

  /** Send a BOOKMARK with the current resourceVersion to every watch that asked for bookmarks. */
  bookmark(): void {
    for (const w of this.watchers)
      if (w.bookmarks)
        w.res.write(
          JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Bookmark', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } } }) + '\n',
        );
  }

  watchCount(collection: string): number {
    return [...this.watchers].filter((w) => w.collection === collection).length;
  }

  /** Requests whose method and path+query match. */
  count(pattern: RegExp): number {
    return this.requests.filter((r) => pattern.test(r)).length;
  }

  private keyOf(o: KObject): string {
    return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  }

  private publish(collection: string, type: string, object: KObject): void {
    this.history.push({ rv: this.rv, collection, type, object });
    for (const w of this.watchers)
      if (w.collection === collection && this.visible(object, w.namespace, w.selector)) w.res.write(JSON.stringify({ type, object }) + '\n');
  }

  private visible(o: KObject, namespace: string | undefined, selector: string | null): boolean {
    if (namespace && o.metadata.namespace !== namespace) return false;
    if (!selector) return true;
    return selector.split(',').every((term) => {
      const neq = /^([^!=]+)!=(.*)$/.exec(term);
      if (neq) return o.metadata.labels?.[neq[1]!] !== neq[2];
      const [k, v] = term.split('=');
      return v === undefined ? o.metadata.labels?.[k!] !== undefined : o.metadata.labels?.[k!] === v;
    });
  }

  private status(res: http.ServerResponse, code: number, reason: string, message: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, code, message }));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    // /api/v1/namespaces/ns/secrets → collection /api/v1/secrets in namespace ns; …/ingresses/x/status a subresource.
    const m = /^(\/apis?\/(?:[^/]+\/)?v[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/(status))?$/.exec(url.pathname);
    if (!m) return this.status(res, 404, 'NotFound', `no route ${url.pathname}`);
    const [, base, namespace, plural, name, sub] = m as unknown as [string, string, string | undefined, string, string | undefined, string | undefined];
    const collection = `${base}/${plural}`;
    const group = base.startsWith('/apis/') ? base.split('/')[2]! : '';
    if (this.uninstalledGroups.has(group)) return this.status(res, 404, 'NotFound', 'the server could not find the requested resource');
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const verb = req.method === 'POST' ? 'create' : req.method === 'PUT' ? 'update' : watch ? 'watch' : 'list';
    if (this.forbidden.has(`${verb} ${collection}`))
      return this.status(
        res,
        403,
        'Forbidden',
        `${plural} is forbidden: User "system:serviceaccount:portico:portico" cannot ${verb} resource "${plural}"${namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope'}`,
      );
    if (OBJECT_WRITABLE.has(collection) && namespace && !sub && (name ? req.method === 'GET' || req.method === 'PUT' : req.method === 'POST'))
      return this.objectRequest(req, res, collection, namespace, name);
    if (req.method === 'POST' || req.method === 'PUT') return this.write(req, res, url, collection, namespace, name, sub);

    const selector = url.searchParams.get('labelSelector');
    if (watch) {
      const from = Number(url.searchParams.get('resourceVersion') || 0);
      if (from && from < this.compactedBelow && this.staleWatchAnswer === 'http')
        return this.status(res, 410, 'Expired', `too old resource version: ${from} (${this.compactedBelow})`);
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      // A real API server answers a watch at once; the client waits for these headers.
      res.flushHeaders();
      if (from && from < this.compactedBelow) {
        res.write(
          JSON.stringify({
            type: 'ERROR',
            object: {
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              reason: 'Expired',
              code: 410,
              message: `too old resource version: ${from} (${this.compactedBelow})`,
            },
          }) + '\n',
        );
        return void res.end();
      }
      for (const e of this.history)
        if (e.collection === collection && e.rv > from && this.visible(e.object, namespace, selector))
          res.write(JSON.stringify({ type: e.type, object: e.object }) + '\n');
      const w: Watcher = { collection, namespace, selector, bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true', res };
      this.watchers.add(w);
      const timeout = Number(url.searchParams.get('timeoutSeconds') || 0);
      const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
      res.on('close', () => {
        clearTimeout(timer);
        this.watchers.delete(w);
      });
      return;
    }

    // List, paged with limit/continue over a consistent order.
    const listRv = url.searchParams.get('resourceVersion');
    if (listRv && listRv !== '0' && Number(listRv) < this.compactedBelow) return this.status(res, 410, 'Expired', `too old resource version: ${listRv}`);
    let offset = 0;
    let rv = this.rv;
    const token = url.searchParams.get('continue');
    if (token) {
      const parsed = JSON.parse(Buffer.from(token, 'base64url').toString()) as { rv: number; offset: number };
      if (parsed.rv < this.compactedBelow)
        return this.status(
          res,
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      offset = parsed.offset;
      rv = parsed.rv;
    }
    const all = [...(this.objects.get(collection)?.values() ?? [])]
      .filter((o) => this.visible(o, namespace, selector))
      .sort((a, b) => this.keyOf(a).localeCompare(this.keyOf(b)));
    const limit = Number(url.searchParams.get('limit') || 0);
    const page = limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset);
    const next = limit > 0 && offset + limit < all.length ? Buffer.from(JSON.stringify({ rv, offset: offset + limit })).toString('base64url') : undefined;
    const items = page.map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: String(rv), ...(next ? { continue: next } : {}) }, items }));
  }

  /** Read one object by name, create one (POST), or replace one (PUT) with optimistic concurrency, as the API server does. */
  private objectRequest(req: http.IncomingMessage, res: http.ServerResponse, collection: string, namespace: string, name: string | undefined): void {
    const map = this.objects.get(collection) ?? this.objects.set(collection, new Map()).get(collection)!;
    const kind = Object.entries(PLURALS).find(([, plural]) => collection.endsWith(`/${plural}`))![0];
    const answer = (code: number, o: KObject) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(o));
    };
    if (req.method === 'GET') {
      const stored = map.get(`${namespace}/${name}`);
      return stored ? answer(200, stored) : this.status(res, 404, 'NotFound', `${kind.toLowerCase()}s "${name}" not found`);
    }
    readJsonObject(req, (body) => {
      if (!body) return this.status(res, 400, 'BadRequest', 'body is not JSON');
      this.writes.push({ method: req.method!, path: req.url ?? '', body });
      const objectName = name ?? body.metadata?.name;
      if (!objectName) return this.status(res, 422, 'Invalid', 'metadata.name: Required value');
      const key = `${namespace}/${objectName}`;
      const old = map.get(key);
      if (req.method === 'POST' && old) return this.status(res, 409, 'AlreadyExists', `${kind.toLowerCase()}s "${objectName}" already exists`);
      if (req.method === 'PUT') {
        if (!old) return this.status(res, 404, 'NotFound', `${kind.toLowerCase()}s "${objectName}" not found`);
        if (body.metadata?.resourceVersion && body.metadata.resourceVersion !== old.metadata.resourceVersion)
          return this.status(
            res,
            409,
            'Conflict',
            `Operation cannot be fulfilled on ${kind.toLowerCase()}s "${objectName}": the object has been modified; please apply your changes to the latest version and try again`,
          );
      }
      const stored = this.apply({
        ...body,
        apiVersion: body.apiVersion ?? (collection.startsWith('/api/v1/') ? 'v1' : collection.split('/').slice(2, 4).join('/')),
        kind,
        metadata: { ...body.metadata, name: objectName, namespace },
      });
      answer(req.method === 'POST' ? 201 : 200, stored);
    });
  }

  private write(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    collection: string,
    namespace: string | undefined,
    name: string | undefined,
    sub: string | undefined,
  ): void {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      let body: KObject;
      try {
        body = JSON.parse(text || '{}') as KObject;
      } catch {
        return this.status(res, 400, 'BadRequest', 'body is not JSON');
      }
      this.writes.push({ method: req.method!, path: url.pathname, body });
      if (req.method === 'POST' && collection === '/api/v1/events' && !name) {
        const created = {
          ...body,
          metadata: {
            ...body.metadata,
            name: `${body.metadata?.name ?? (body.metadata as { generateName?: string })?.generateName ?? 'event.'}${++this.uid}`,
            namespace,
          },
        };
        res.writeHead(201, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(created));
      }
      if (req.method === 'PUT' && sub === 'status' && name) {
        const key = `${namespace ?? ''}/${name}`;
        const stored = this.objects.get(collection)?.get(key);
        if (!stored) return this.status(res, 404, 'NotFound', `${name} not found`);
        if (body.metadata?.resourceVersion && body.metadata.resourceVersion !== stored.metadata.resourceVersion)
          return this.status(
            res,
            409,
            'Conflict',
            `Operation cannot be fulfilled on ${name}: the object has been modified; please apply your changes to the latest version and try again`,
          );
        const updated = { ...stored, status: body.status, metadata: { ...stored.metadata, resourceVersion: String(++this.rv) } };
        this.objects.get(collection)!.set(key, updated);
        this.publish(collection, 'MODIFIED', updated);
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(updated));
      }
      this.status(res, 405, 'MethodNotAllowed', `${req.method} ${url.pathname} is not supported by this test server`);
    });
  }
}
