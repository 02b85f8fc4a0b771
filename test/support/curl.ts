/** Run the real curl binary and parse its answer (status, headers, body, negotiated HTTP version). */
import { execFile } from 'node:child_process';

export interface CurlResult {
  status: number;
  httpVersion: string;
  headers: Record<string, string[]>;
  body: string;
  exitCode: number;
  stderr: string;
}

export function curl(args: string[], timeoutMs = 10_000): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-sS', '-k', '-D', '/dev/stderr', '--max-time', String(timeoutMs / 1000), '-w', '\n%{http_code} %{http_version}', ...args],
      { timeout: timeoutMs + 2000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const tail = stdout.lastIndexOf('\n');
        const [code, version] = stdout.slice(tail + 1).split(' ');
        const headers: Record<string, string[]> = {};
        // Only the last header block (after any 100 Continue / redirects).
        const blocks = stderr.split(/\r?\n\r?\n/).filter((b) => /^HTTP\//.test(b.trim()));
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
