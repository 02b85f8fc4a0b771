/**
 * The dashboard's files — `dashboard/` at the package root: one HTML page, a
 * stylesheet, one hand-written ES module and an icon, served as they are (no
 * build step; see dashboard/README.md for why). Read on the first dashboard
 * request (start-up and API-only users pay nothing), each kept in memory with
 * its Content-Type, a strong ETag and a gzip copy: the files are a few
 * kilobytes and never change while Portico runs, so no later request
 * compresses or touches the disk. No brotli copy: at its useful qualities it
 * costs a hundred milliseconds and more for 10% fewer bytes than gzip here.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface AssetVariant {
  body: Buffer;
  /** Quoted strong validator; each encoding has its own (RFC 9110 §8.8.3). */
  etag: string;
}

export interface DashboardAsset {
  contentType: string;
  identity: AssetVariant;
  /** Content-coding → the compressed copy, present only when smaller. */
  encoded: ReadonlyMap<string, AssetVariant>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** `dashboard/` beside `src/` (running from sources) or beside `dist/` (built, and in the npm package). */
export function dashboardDirectory(): string | undefined {
  for (const rel of ['../../dashboard/', '../../../dashboard/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

function variant(body: Buffer, tag: string): AssetVariant {
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}${tag}"` };
}

/** File name → asset, for the files of `dir` with a type listed above (its README and tsconfig stay private). */
export function loadDashboardAssets(dir: string): Map<string, DashboardAsset> {
  const assets = new Map<string, DashboardAsset>();
  for (const name of readdirSync(dir)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (!contentType) continue;
    const body = readFileSync(join(dir, name));
    const encoded = new Map<string, AssetVariant>();
    const gz = gzipSync(body, { level: 9 });
    if (gz.length < body.length) encoded.set('gzip', variant(gz, '-gz'));
    assets.set(name, { contentType, identity: variant(body, ''), encoded });
  }
  return assets;
}
