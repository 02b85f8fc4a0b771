/**
 * The file provider: a file or a directory of YAML/JSON/TOML, in the native
 * dynamic format (TOML: native only, as Traefik's dynamic TOML) and/or as Kubernetes manifests (IngressRoute, Ingress, Middleware, TLSStore,
 * Secret, Service, … — the same YAML a user applies to a cluster).
 *
 * Each file keeps its last good content: a file that stops parsing is
 * reported and its previous objects stay in force. Watching uses chokidar on
 * the directory (not the file) so editors' rename-and-replace saves are seen,
 * with a debounce so a burst of writes is read once.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { watch, type FSWatcher } from 'chokidar';
import type { Provider } from '../provider.js';
import { emptyDynamicConfig, type ConfigError, type DynamicConfig, type ObjectLines, type ProviderSnapshot } from '../../dynamic/model.js';
import { emptyTcpConfig } from '../../dynamic/tcp-model.js';
import { readNativeDocument } from './native-config-reader.js';
import { recordObjectLines } from './object-lines.js';
import { convertManifests, type ManifestDocument, type NginxIngressSelection } from '../manifests/convert.js';
import { PORTICO_INGRESS_CONTROLLER, TRAEFIK_INGRESS_CONTROLLER, answeredIngressClasses, type AnsweredIngressClasses } from '../manifests/ingress-class.js';
import { yamlLineLocator } from '../../config/yaml-line-locator.js';
import { parseTomlDocument, tomlLineLocator } from '../../config/toml-document.js';

export interface FileProviderOptions {
  filename?: string;
  directory?: string;
  watch?: boolean;
  debounceMs?: number;
  /** Convert nginx-class Ingresses as ingress-nginx serves them (set when the kubernetesIngressNGINX provider is configured). */
  nginxIngress?: NginxIngressSelection;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json', '.toml']);

interface ParsedFile {
  native: Array<{ doc: unknown; lineOf: (p: string[]) => number | undefined }>;
  manifests: ManifestDocument[];
}

export class FileProvider implements Provider {
  readonly name = 'file';
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly lastGood = new Map<string, ParsedFile>();
  private emit: ((s: ProviderSnapshot) => void) | undefined;
  private reading: Promise<void> = Promise.resolve();

  constructor(private readonly options: FileProviderOptions) {
    if (!options.filename === !options.directory) throw new Error('file provider: set exactly one of filename or directory');
  }

  async start(emit: (snapshot: ProviderSnapshot) => void): Promise<void> {
    this.emit = emit;
    await this.reload();
    if (this.options.watch === false) return;
    const target = this.options.directory ? resolve(this.options.directory) : dirname(resolve(this.options.filename!));
    const only = this.options.filename ? resolve(this.options.filename) : undefined;
    this.watcher = watch(target, {
      ignoreInitial: true,
      depth: this.options.directory ? 8 : 0,
      // Editors write temp files then rename; wait for the write to settle.
      awaitWriteFinish: { stabilityThreshold: 30, pollInterval: 10 },
      ignored: (path, stats) => (only ? path !== only && path !== target : !!stats?.isFile() && !EXTENSIONS.has(extname(path))),
    });
    this.watcher.on('all', () => this.schedule());
    this.watcher.on('error', (err) => this.options.log?.('error', `file provider: watch error: ${(err as Error).message}`));
    await new Promise<void>((ok) => this.watcher!.once('ready', () => ok()));
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.watcher?.close();
    this.watcher = undefined;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reading = this.reading.then(async () => {
        await this.reload();
      });
    }, this.options.debounceMs ?? 100);
  }

  private async listFiles(): Promise<string[]> {
    if (this.options.filename) return [resolve(this.options.filename)];
    const out: string[] = [];
    const walk = async (dir: string, depth: number) => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        if (e.name.startsWith('.')) continue; // editor swap files, .git
        const p = join(dir, e.name);
        if (e.isDirectory() && depth < 8) await walk(p, depth + 1);
        else if (EXTENSIONS.has(extname(e.name))) out.push(p);
      }
    };
    await walk(resolve(this.options.directory!), 0);
    return out;
  }

  /** Read every file, keep the last good parse of any that fails, emit one snapshot. */
  async reload(): Promise<ProviderSnapshot> {
    const errors: ConfigError[] = [];
    const files = await this.listFiles();
    const present = new Set(files);
    for (const f of [...this.lastGood.keys()]) if (!present.has(f)) this.lastGood.delete(f);
    for (const file of files) {
      let text: string;
      try {
        if (!(await stat(file)).isFile()) continue;
        text = await readFile(file, 'utf8');
      } catch (err) {
        // Vanished between listing and reading (rename-and-replace): the next event re-reads it.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        errors.push({ provider: this.name, source: file, path: '', message: `cannot read: ${(err as Error).message}` });
        continue;
      }
      const parsed = parseFile(file, text);
      if ('error' in parsed) {
        const kept = this.lastGood.has(file);
        errors.push({
          provider: this.name,
          source: file,
          path: '',
          line: parsed.line,
          message: `${parsed.error}${kept ? ' (keeping the last good version of this file)' : ''}`,
        });
        continue;
      }
      this.lastGood.set(file, parsed);
    }
    const config = emptyDynamicConfig();
    const origins: Record<string, string> = {};
    const originLines: Record<string, ObjectLines> = {};
    const manifests: ManifestDocument[] = [];
    for (const [file, parsed] of this.lastGood) {
      for (const { doc, lineOf } of parsed.native) {
        const before = snapshotKeys(config);
        readNativeDocument(doc, config, { provider: this.name, source: file, lineOf }, errors);
        const added = [...snapshotKeys(config)].filter((key) => !before.has(key));
        for (const key of added) origins[key] = file;
        recordObjectLines(doc, added, lineOf, originLines);
      }
      manifests.push(...parsed.manifests);
    }
    if (manifests.length) {
      const classes = fileIngressClasses(manifests);
      const converted = convertManifests(manifests, {
        provider: this.name,
        apiGroups: ['portico.dev', 'traefik.io', 'traefik.containo.us'],
        allowCrossNamespace: true,
        allowExternalNameServices: true,
        standsInFor: ['kubernetescrd', 'kubernetesingress'],
        ingressClass: classes.names,
        // A class-less Ingress in a file given to Portico is meant for it.
        ingressWithoutClass: true,
        ...(this.options.nginxIngress ? { nginxIngress: this.options.nginxIngress } : {}),
        nativeServiceNames: new Set(Object.keys(config.http.services)),
        log: (level: 'debug' | 'warn', msg: string) => this.options.log?.(level, msg),
      });
      errors.push(...converted.errors);
      // Where each converted object came from, so errors found after merging name the file.
      Object.assign(origins, (converted as { origins?: Record<string, string> }).origins ?? {});
      mergeInto(config, converted.config, errors, this.name);
    }
    const snapshot: ProviderSnapshot = { provider: this.name, config, errors, origins, originLines };
    this.emit?.(snapshot);
    return snapshot;
  }
}

/**
 * The Ingress classes a file's Ingresses may name: ours and Traefik's by their
 * usual names, and every IngressClass in the files whose controller is ours or Traefik's.
 */
function fileIngressClasses(manifests: ManifestDocument[]): AnsweredIngressClasses {
  const classes = manifests.map((m) => m.object as { kind?: unknown }).filter((o) => o && o.kind === 'IngressClass');
  return answeredIngressClasses(
    classes as Parameters<typeof answeredIngressClasses>[0],
    ['portico', 'traefik'],
    [PORTICO_INGRESS_CONTROLLER, TRAEFIK_INGRESS_CONTROLLER],
  );
}

function snapshotKeys(c: DynamicConfig): Set<string> {
  const keys = new Set<string>();
  for (const kind of ['routers', 'services', 'middlewares', 'serversTransports'] as const)
    for (const n of Object.keys(c.http[kind])) keys.add(`http.${kind}.${n}`);
  for (const kind of ['routers', 'services'] as const) for (const n of Object.keys(c.udp[kind])) keys.add(`udp.${kind}.${n}`);
  for (const kind of ['routers', 'services', 'middlewares', 'serversTransports'] as const)
    for (const n of Object.keys(c.tcp?.[kind] ?? {})) keys.add(`tcp.${kind}.${n}`);
  for (const n of Object.keys(c.tls.options)) keys.add(`tls.options.${n}`);
  for (const n of Object.keys(c.tls.stores)) keys.add(`tls.stores.${n}`);
  return keys;
}

function parseFile(file: string, text: string): ParsedFile | { error: string; line?: number } {
  const out: ParsedFile = { native: [], manifests: [] };
  try {
    if (extname(file) === '.json') {
      out.native.push({ doc: JSON.parse(text), lineOf: () => undefined });
      return out;
    }
    if (extname(file) === '.toml') {
      const parsed = parseTomlDocument(text);
      if ('error' in parsed) return parsed;
      out.native.push({ doc: parsed.doc, lineOf: tomlLineLocator(text) });
      return out;
    }
    // Split on document markers ourselves so each document knows its first line.
    const docs: Array<{ text: string; line: number }> = [];
    let start = 0;
    const lines = text.split('\n');
    lines.forEach((l, i) => {
      if (/^---(\s|$)/.test(l)) {
        docs.push({ text: lines.slice(start, i).join('\n'), line: start + 1 });
        start = i + 1;
      }
    });
    docs.push({ text: lines.slice(start).join('\n'), line: start + 1 });
    for (const d of docs) {
      let doc: unknown;
      try {
        doc = yaml.load(d.text, { filename: basename(file) });
      } catch (err) {
        const e = err as Error & { mark?: { line: number } };
        return { error: `YAML: ${e.message.split('\n')[0]}`, line: e.mark ? e.mark.line + d.line : d.line };
      }
      if (doc === null || doc === undefined) continue;
      if (typeof doc !== 'object' || Array.isArray(doc)) return { error: 'each document must be a mapping', line: d.line };
      const o = doc as Record<string, unknown>;
      if (typeof o.apiVersion === 'string' && typeof o.kind === 'string') {
        if (o.kind === 'List' && Array.isArray(o.items)) for (const item of o.items) out.manifests.push({ source: file, line: d.line, object: item });
        else out.manifests.push({ source: file, line: d.line, object: o });
      } else out.native.push({ doc: o, lineOf: yamlLineLocator(d.text, d.line) });
    }
    return out;
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Add converted manifest objects; a name clash with a native object is an error, the native one wins. */
function mergeInto(target: DynamicConfig, from: DynamicConfig, errors: ConfigError[], provider: string): void {
  for (const kind of ['routers', 'services', 'middlewares', 'serversTransports'] as const) {
    for (const [name, value] of Object.entries(from.http[kind])) {
      if (target.http[kind][name] !== undefined) {
        errors.push({
          provider,
          source: 'manifests',
          path: `http.${kind}.${name}`,
          message: `"${name}" is defined both natively and by a manifest; keeping the native one`,
        });
        continue;
      }
      (target.http[kind] as Record<string, unknown>)[name] = value;
    }
  }
  const tcp = (target.tcp ??= emptyTcpConfig());
  const sections: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['udp.routers', from.udp.routers, target.udp.routers],
    ['udp.services', from.udp.services, target.udp.services],
    ...(['routers', 'services', 'middlewares', 'serversTransports'] as const).map((k): [string, Record<string, unknown>, Record<string, unknown>] => [
      `tcp.${k}`,
      from.tcp?.[k] ?? {},
      tcp[k],
    ]),
  ];
  for (const [path, source, into] of sections)
    for (const [name, value] of Object.entries(source)) {
      if (into[name] !== undefined) {
        errors.push({
          provider,
          source: 'manifests',
          path: `${path}.${name}`,
          message: `"${name}" is defined both natively and by a manifest; keeping the native one`,
        });
        continue;
      }
      into[name] = value;
    }
  target.tls.certificates.push(...from.tls.certificates);
  for (const [n, o] of Object.entries(from.tls.options)) target.tls.options[n] ??= o;
  for (const [n, s] of Object.entries(from.tls.stores)) target.tls.stores[n] = { ...s, ...target.tls.stores[n] };
}
