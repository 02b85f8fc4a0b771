/**
 * Run a compiled plugin in a real Portico: the plugin is loaded the way
 * `experimental.plugins` loads it, configured on a router in front of a real
 * HTTP backend, and requests go over real loopback sockets. Unit tests on the
 * in-memory exchange show what a handler does; this shows that Portico loads
 * the module, accepts the options and serves through it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { validateStaticConfig } from '../config/load-static-config.js';
import { PorticoServer } from '../server/portico-server.js';

export interface PluginInPorticoOptions {
  /**
   * The plugin's compiled ES module, as `experimental.plugins.<name>.module`
   * takes it: a file path (relative paths are relative to the current
   * directory) or a package name.
   */
  module: string;
  /** The options users would write under `http.middlewares.<name>.<type>`; default `{}`. */
  options?: Record<string, unknown>;
  /** The backend behind the plugin; default: answers 200 with what it received as JSON. */
  backend?: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;
  /** How long to wait for Portico to load the plugin and apply the configuration; default 10 s. */
  timeoutMs?: number;
}

export interface PorticoResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body as UTF-8. */
  text: string;
}

/** A request as it reached the backend, after the plugin. */
export interface BackendRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface PluginInPortico {
  /** `http://127.0.0.1:<port>`: Portico's entrypoint, every path routed through the plugin. */
  readonly url: string;
  /** Send one HTTP/1.1 request through Portico (a new connection each time) and read the whole response. */
  request(path: string, init?: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer }): Promise<PorticoResponse>;
  /** Requests that reached the backend, oldest first. */
  readonly backendRequests: readonly BackendRequest[];
  /** Error lines Portico logged since start (a handler that threw, for one). */
  readonly errors: readonly string[];
  stop(): Promise<void>;
}

function echo(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyBytes: body.length }));
}

async function startBackend(respond: NonNullable<PluginInPorticoOptions['backend']>, seen: BackendRequest[]): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      respond(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

function send(port: number, path: string, init: Parameters<PluginInPortico['request']>[1] = {}): Promise<PorticoResponse> {
  return new Promise((resolvePromise, reject) => {
    // agent: false — one connection per request, closed after it, so stop() finds no idle keep-alive connection.
    const req = http.request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(parts);
        resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A log line as one readable string: the message, then its fields. */
function describeLogLine(line: string): string {
  const { msg, level: _level, time: _time, ...fields } = JSON.parse(line) as Record<string, unknown>;
  const rest = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [String(msg), ...rest].join(' ');
}

/**
 * Start Portico with the plugin loaded and configured on a router for every
 * path. Rejects with Portico's own messages when the module cannot be loaded
 * or the options are refused.
 */
export async function startPluginInPortico(init: PluginInPorticoOptions): Promise<PluginInPortico> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-plugin-'));
  const errors: string[] = [];
  const backendRequests: BackendRequest[] = [];
  const backend = await startBackend(init.backend ?? echo, backendRequests);
  const isPath = init.module.startsWith('.') || isAbsolute(init.module);
  const module = isPath ? resolve(init.module) : init.module;
  const log = pino({ level: 'error', base: null }, { write: (line: string) => void errors.push(describeLogLine(line)) });
  const config = validateStaticConfig(
    {
      entryPoints: { web: { address: '127.0.0.1:0' } },
      providers: { file: { directory: dir, watch: false } },
      experimental: { plugins: { underTest: { module } } },
    },
    dir,
    'startPluginInPortico',
  );
  const server = new PorticoServer(config, log);
  const stop = async () => {
    await server.stop();
    await new Promise<void>((r) => {
      backend.closeAllConnections();
      backend.close(() => r());
    });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Before start, so the file provider's first snapshot has it. Portico loads the module itself at start;
    // reading its type here first would hide the loader's message when the module is broken.
    const imported = (await import(isPath ? pathToFileURL(module).href : module).catch(() => undefined)) as { default?: { type?: unknown } } | undefined;
    const type = typeof imported?.default?.type === 'string' ? imported.default.type : 'underTest';
    const port = (backend.address() as AddressInfo).port;
    const dynamic = {
      http: {
        routers: { plugin: { rule: 'PathPrefix(`/`)', service: 'backend', middlewares: ['plugin'] } },
        middlewares: { plugin: { [type]: init.options ?? {} } },
        services: { backend: { loadBalancer: { servers: [{ url: `http://127.0.0.1:${port}` }] } } },
      },
    };
    writeFileSync(join(dir, 'plugin.json'), JSON.stringify(dynamic, null, 2));
    await server.start();
    const deadline = Date.now() + (init.timeoutMs ?? 10_000);
    let rt = server.current();
    while (!rt?.routerStatus.has('plugin@file')) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Portico did not apply the plugin's configuration within ${init.timeoutMs ?? 10_000} ms`);
      let timer: NodeJS.Timeout | undefined;
      rt = await Promise.race([server.nextApply(rt?.version), new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), left)))]).finally(() =>
        clearTimeout(timer),
      );
    }
    // Load failures are only logged; configuration errors are in the runtime with their full field path.
    const refusals = [...errors.filter((e) => !e.startsWith('configuration error:')), ...rt.errors.map((e) => `${e.path}: ${e.message}`)];
    if (refusals.length) throw new Error(`Portico refused the plugin:\n${refusals.join('\n')}`);
  } catch (err) {
    await stop();
    throw err;
  }
  const port = server.port('web');
  return {
    url: `http://127.0.0.1:${port}`,
    request: (path, requestInit) => send(port, path, requestInit),
    backendRequests,
    errors,
    stop,
  };
}
