/**
 * A Kubernetes API server for tests, over real HTTP on 127.0.0.1, speaking
 * the list/watch protocol the client library uses: lists with
 * metadata.resourceVersion (items without kind, as the real server sends
 * them), `?watch=true&resourceVersion=N` as a chunked stream of JSON lines
 * (ADDED/MODIFIED/DELETED), 410 Gone once N has been compacted away,
 * connections that can be dropped mid-stream, and 403 for chosen resources.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface KObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  [k: string]: unknown;
}

const PLURALS: Record<string, string> = {
  IngressRoute: 'ingressroutes',
  Middleware: 'middlewares',
  TLSStore: 'tlsstores',
  TLSOption: 'tlsoptions',
  ServersTransport: 'serverstransports',
  TraefikService: 'traefikservices',
  Secret: 'secrets',
  Service: 'services',
  EndpointSlice: 'endpointslices',
  Ingress: 'ingresses',
  IngressClass: 'ingressclasses',
};

function collectionOf(o: { apiVersion: string; kind: string }): string {
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  return `${base}/${PLURALS[o.kind]}`;
}

export class FakeApiServer {
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly objects = new Map<string, Map<string, KObject>>();
  private readonly events: Array<{ rv: number; collection: string; type: string; object: KObject }> = [];
  private readonly watchers = new Set<{ collection: string; namespace?: string; res: http.ServerResponse }>();
  private rv = 100;
  private compactedBelow = 0;
  readonly forbidden = new Set<string>();
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

  apply(o: KObject): void {
    const col = collectionOf(o);
    const map = this.objects.get(col) ?? this.objects.set(col, new Map()).get(col)!;
    const key = `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
    const type = map.has(key) ? 'MODIFIED' : 'ADDED';
    const stored = structuredClone(o);
    stored.metadata.namespace ??= 'default';
    stored.metadata.resourceVersion = String(++this.rv);
    map.set(key, stored);
    this.publish(col, type, stored);
  }

  delete(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): void {
    const col = collectionOf(o);
    const key = `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
    const stored = this.objects.get(col)?.get(key);
    if (!stored) return;
    this.objects.get(col)!.delete(key);
    const gone = { ...stored, metadata: { ...stored.metadata, resourceVersion: String(++this.rv) } };
    this.publish(col, 'DELETED', gone);
  }

  /** Close every open watch stream mid-flight (as a restarting API server or a proxy would). */
  dropWatches(): void {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
  }

  /** Forget history: watches resuming from an older resourceVersion now get 410 Gone. */
  compact(): void {
    this.compactedBelow = this.rv;
    this.events.length = 0;
  }

  private publish(collection: string, type: string, object: KObject): void {
    this.events.push({ rv: this.rv, collection, type, object });
    for (const w of this.watchers)
      if (w.collection === collection && (!w.namespace || w.namespace === object.metadata.namespace)) w.res.write(JSON.stringify({ type, object }) + '\n');
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    let path = url.pathname;
    let namespace: string | undefined;
    const ns = /^(\/apis?\/.+?)\/namespaces\/([^/]+)\/([^/]+)$/.exec(path);
    if (ns) {
      path = `${ns[1]}/${ns[3]}`;
      namespace = ns[2];
    }
    if (this.forbidden.has(path)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: `forbidden: cannot list ${path}` }));
    }
    if (req.method === 'POST' || req.method === 'PUT') {
      // Event creation and Ingress status writes: recorded for the tests to inspect.
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const parsed = JSON.parse(body || '{}') as KObject;
        this.writes.push({ method: req.method!, path: url.pathname, body: parsed });
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(parsed));
      });
      return;
    }
    const selector = url.searchParams.get('labelSelector');
    const matches = (o: KObject) =>
      (!namespace || o.metadata.namespace === namespace) &&
      (!selector || selector.split(',').every((kv) => { const [k, v] = kv.split('='); return o.metadata.labels?.[k!] === v; }));
    if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
      const from = Number(url.searchParams.get('resourceVersion') || 0);
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      // A real API server answers the watch at once; the client waits for these headers.
      res.flushHeaders();
      if (from && from < this.compactedBelow) {
        res.write(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version' } }) + '\n');
        return void res.end();
      }
      for (const e of this.events) if (e.collection === path && e.rv > from && matches(e.object)) res.write(JSON.stringify({ type: e.type, object: e.object }) + '\n');
      const w = { collection: path, namespace, res };
      this.watchers.add(w);
      res.on('close', () => this.watchers.delete(w));
      return;
    }
    const items = [...(this.objects.get(path)?.values() ?? [])].filter(matches).map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: String(this.rv) }, items }));
  }
}
