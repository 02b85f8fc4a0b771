/** Run the real curl binary and parse its answer (status, headers, body, negotiated HTTP version). */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CurlResult {
  status: number;
  httpVersion: string;
  headers: Record<string, string[]>;
  body: string;
  exitCode: number;
  stderr: string;
}

export function curl(args: string[], timeoutMs = 10_000): Promise<CurlResult> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-curl-'));
  const headerFile = join(dir, 'headers');
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-sS', '-k', '-D', headerFile, '--max-time', String(timeoutMs / 1000), '-w', '\n%{http_code} %{http_version}', ...args],
      { timeout: timeoutMs + 2000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const tail = stdout.lastIndexOf('\n');
        const [code, version] = stdout.slice(tail + 1).split(' ');
        const headers: Record<string, string[]> = {};
        // Only the last header block (after any 100 Continue / redirects).
        let raw = '';
        try {
          raw = readFileSync(headerFile, 'utf8');
        } catch {
          /* no response head */
        }
        rmSync(dir, { recursive: true, force: true });
        const blocks = raw.split(/\r?\n\r?\n/).filter((b) => /^HTTP\//.test(b.trim()));
        for (const line of (blocks.at(-1) ?? '').split(/\r?\n/).slice(1)) {
          const i = line.indexOf(':');
          if (i > 0) (headers[line.slice(0, i).trim().toLowerCase()] ??= []).push(line.slice(i + 1).trim());
        }
        resolve({
          status: Number(code),
          httpVersion: version ?? '',
          headers,
          body: stdout.slice(0, tail),
          exitCode: err ? ((err as { code?: number }).code ?? 1) : 0,
          stderr,
        });
      },
    );
  });
}
