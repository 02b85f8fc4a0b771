/**
 * Run gtlsclient (ngtcp2's example HTTP/3 client, Debian ngtcp2-client) and
 * collect its exit code and log (stdout + stderr, where ngtcp2 logs every
 * packet and frame unless -q).
 */
import { execFile } from 'node:child_process';

export function gtlsclient(args: string[], opts: { idleTimeout?: string; timeoutMs?: number } = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(
      'gtlsclient',
      ['--exit-on-all-streams-close', `--timeout=${opts.idleTimeout ?? '10s'}`, ...args],
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
}
