#!/usr/bin/env -S node --max-semi-space-size=64
/**
 * `portico [--config FILE] [--a.b.c=value ...]`  run
 * `portico check --config FILE`                   validate static + dynamic config, exit 1 with the errors
 * `portico healthcheck [--config FILE]`           exit 0 when the running Portico's /ping answers 200 (container HEALTHCHECK)
 * `portico version`                               print the version
 * Flags and PORTICO_* environment variables override the file (flags win).
 */
import { fileURLToPath } from 'node:url';
import { loadStaticConfig, StaticConfigError } from './config/load-static-config.js';
import type { StaticConfig } from './config/static-config.js';
import { createLogger } from './observability/logger.js';
import type { PorticoServer as PorticoServerType } from './server/portico-server.js';
import { PORTICO_VERSION } from './version.js';
import cluster from 'node:cluster';
import { joinCluster, WORKER_ID_ENV, type WorkerRole } from './server/worker-role.js';
import { availableCpus } from './server/available-cpus.js';
import { parseDurationMs } from './config/duration.js';
import { pingHealthcheck } from './api/ping-healthcheck.js';

const HELP = `Portico ${PORTICO_VERSION} — an ingress proxy with first-class HTTP/3

Usage:
  portico [--config portico.yaml] [--<option.path>=<value> ...]
  portico check --config portico.yaml
  portico healthcheck [--config portico.yaml]   exit 0 if /ping on the ping entrypoint answers 200, else 1
  portico version

Without --config, Portico runs the embedded quickstart: https://localhost:8443
(HTTP/1.1, HTTP/2, HTTP/3) answered by the built-in whoami service.

Any static option can be given as a flag or an environment variable:
  --entryPoints.websecure.address=:443      PORTICO_ENTRYPOINTS_WEBSECURE_ADDRESS=:443
  --log.level=debug                          PORTICO_LOG_LEVEL=debug
  --api.insecure=true                        PORTICO_API_INSECURE=true
  --workers=2                                PORTICO_WORKERS=auto   (processes sharing the ports)
Environment: SSLKEYLOGFILE=path also writes TLS/QUIC keys for Wireshark.

Docs: README.md and docs/ in the package.`;

/** The quickstart's static configuration, pointing at the dynamic files shipped in the package. */
export function embeddedDefaultConfig(): Record<string, unknown> {
  const dynamicDir = fileURLToPath(new URL('../../examples/quickstart/dynamic', import.meta.url));
  return {
    entryPoints: {
      web: { address: ':8080', http: { redirections: { entryPoint: { to: 'websecure', scheme: 'https', permanent: true } } } },
      websecure: { address: ':8443', http: { tls: {} }, http3: { enabled: true } },
    },
    providers: { file: { directory: dynamicDir, watch: true } },
    ping: { entryPoint: 'websecure' },
    log: { level: 'info', format: 'text' },
  };
}

interface ParsedArgs {
  command: 'run' | 'check' | 'healthcheck' | 'version' | 'help';
  config?: string;
  flags: Array<[string, string]>;
}

export function parseArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = { command: 'run', flags: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === 'version' || a === '--version' || a === '-v') out.command = 'version';
    else if (a === 'check') out.command = 'check';
    else if (a === 'healthcheck') out.command = 'healthcheck';
    else if (a === 'help' || a === '--help' || a === '-h') out.command = 'help';
    else if (a === '--config' || a === '-c' || a === '--configFile') out.config = argv[++i];
    else if (a.startsWith('--config=') || a.startsWith('--configFile=')) out.config = a.slice(a.indexOf('=') + 1);
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) out.flags.push([a.slice(2, eq), a.slice(eq + 1)]);
      else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) out.flags.push([a.slice(2), argv[++i]!]);
      else out.flags.push([a.slice(2), 'true']);
    } else throw new StaticConfigError([`unexpected argument "${a}" (see portico --help)`]);
  }
  return out;
}

function load(args: ParsedArgs): StaticConfig {
  const env = process.env;
  const file = args.config ?? env.PORTICO_CONFIG ?? env.PORTICO_CONFIGFILE;
  return loadStaticConfig(file ? { file, env, flags: args.flags } : { document: embeddedDefaultConfig(), env, flags: args.flags });
}

/**
 * The server and providers (about a CPU-second of imports) load only for the commands that
 * run or compile a configuration: `portico healthcheck` runs every few seconds in containers.
 */
async function serverModules(): Promise<{ PorticoServer: typeof PorticoServerType }> {
  return import('./server/portico-server.js');
}

async function check(cfg: StaticConfig): Promise<number> {
  const { PorticoServer } = await serverModules();
  const { FileProvider } = await import('./provider/file/file-provider.js');
  const { mergeSnapshots } = await import('./dynamic/merge.js');
  const { kubernetesOptionProblems } = await import('./server/kubernetes-providers.js');
  // The Kubernetes providers' options, checked as the running proxy checks them at start.
  const problems: string[] = kubernetesOptionProblems(cfg);
  const file = cfg.providers.file;
  if (file) {
    const { nginxIngressForFiles } = await import('./server/kubernetes-providers.js');
    const nginxIngress = nginxIngressForFiles(cfg);
    const snap = await new FileProvider({ ...file, watch: false, ...(nginxIngress ? { nginxIngress } : {}) }).reload();
    for (const e of snap.errors) problems.push(`${e.source}${e.line ? ':' + e.line : ''}: ${e.path}: ${e.message}`);
    // Compile too: rule syntax, missing services and middlewares only show up there.
    const server = new PorticoServer(cfg, createLogger({ level: 'fatal', format: 'json' }));
    const rt = await server.compileOnly(mergeSnapshots([snap]));
    await server.stop();
    for (const e of rt.errors) {
      const line = `${e.source}${e.line ? ':' + e.line : ''}: ${e.path}: ${e.message}`;
      if (!problems.includes(line)) problems.push(line);
    }
  }
  if (problems.length) {
    console.error(`configuration has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
    return 1;
  }
  console.log('configuration OK');
  return 0;
}

/** Below Docker's usual 3 s HEALTHCHECK timeout, so the reason is printed before Docker gives up. */
const HEALTHCHECK_TIMEOUT_MS = 2_500;

async function healthcheck(cfg: StaticConfig): Promise<number> {
  const result = await pingHealthcheck(cfg, HEALTHCHECK_TIMEOUT_MS);
  if (result.healthy) console.log(result.message);
  else console.error(result.message);
  return result.healthy ? 0 : 1;
}

async function main(): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (args.command === 'version') {
    console.log(`portico ${PORTICO_VERSION} (node ${process.version})`);
    return 0;
  }
  if (args.command === 'help') {
    console.log(HELP);
    return 0;
  }
  let cfg: StaticConfig;
  try {
    cfg = load(args);
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
  if (args.command === 'check') return check(cfg);
  if (args.command === 'healthcheck') return healthcheck(cfg);
  if (cluster.isWorker && process.env[WORKER_ID_ENV]) return serve(cfg, await joinCluster());
  let workers = 1;
  if (cfg.workers === 'auto') {
    const count = availableCpus();
    createLogger(cfg.log).info({ workers: count.cpus, from: count.source }, 'workers: auto');
    workers = count.cpus;
  } else if (cfg.workers) workers = cfg.workers;
  if (workers > 1) return supervise(cfg, workers);
  return serve(cfg, undefined);
}

/** Run one PorticoServer in this process (alone, or as one worker of several) until a signal stops it. */
async function serve(cfg: StaticConfig, role: WorkerRole | undefined): Promise<number> {
  const log = role ? createLogger(cfg.log).child({ worker: role.id }) : createLogger(cfg.log);
  const { PorticoServer } = await serverModules();
  const server = new PorticoServer(cfg, log, [], role);
  try {
    await server.start();
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'cannot start');
    await server.stop().catch(() => undefined);
    return 1;
  }
  role?.ready();
  const cpus = availableCpus().cpus;
  if (!role && cfg.workers === undefined && cpus > 1)
    log.info({ cpus }, 'serving with one process; workers: auto (or --workers=N) uses more cores (docs/configuration.md, "Workers")');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down gracefully (signal again to force)');
    void server.stop().then(() => process.exit(0));
  };
  // A worker's shutdown is the primary's call (it sends SIGTERM); Ctrl-C reaches the whole process group.
  process.on('SIGINT', () => (role ? undefined : shutdown('SIGINT')));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // Bad input must never take the process down; a bug in one request is logged, not fatal.
  process.on('uncaughtException', (err) => log.error({ err: err.message, stack: err.stack }, 'uncaught exception'));
  process.on('unhandledRejection', (err) => log.error({ err: String(err) }, 'unhandled rejection'));
  return -1;
}

/** The primary of `workers: N`: forks and watches the workers (src/server/worker-supervisor.ts). */
async function supervise(cfg: StaticConfig, workers: number): Promise<number> {
  const log = createLogger(cfg.log).child({ process: 'primary' });
  const { superviseWorkers } = await import('./server/worker-supervisor.js');
  const { generatedDefaultCertificate } = await import('./tls/generated-default-certificate.js');
  const generatedDefault = await generatedDefaultCertificate();
  const graceMs = Math.max(0, ...Object.values(cfg.entryPoints).map((e) => parseDurationMs(e.transport?.lifeCycle?.graceTimeOut ?? 10)));
  return superviseWorkers({ workers, generatedDefault, shutdownTimeoutMs: graceMs + 5_000, log });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === (await import('node:fs')).realpathSync(process.argv[1])) {
  const code = await main();
  if (code >= 0) process.exit(code);
}
