/**
 * Collect NSS key log lines of every QUIC connection into one file. quiche
 * writes keys per connection and truncates the file it is given, so each
 * connection gets a private file (mode 0600 in a private directory). Its
 * new complete lines are appended to the shared key log when the handshake
 * completes (every secret a capture needs exists by then: QUIC key updates
 * derive from them and log nothing new) and once more when the connection
 * ends. Each append is one write of whole lines, so lines of concurrent
 * connections never interleave.
 */
import { appendFileSync, chmodSync, closeSync, mkdtempSync, openSync, readSync, rmSync, fstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ConnectionKeylog {
  /** Where quiche writes this connection's keys. */
  readonly path: string;
  /** Append the lines written since the last call to the shared key log. */
  flush(): void;
  /** Final flush; removes the private file. */
  done(): void;
}

export class KeylogCollector {
  private readonly dir = mkdtempSync(join(tmpdir(), 'portico-keylog-'));
  private n = 0;

  constructor(readonly target: string) {
    chmodSync(this.dir, 0o700);
  }

  perConnection(): ConnectionKeylog {
    const path = join(this.dir, `conn-${++this.n}.keys`);
    let offset = 0;
    const flush = (): void => {
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch {
        return; // nothing logged yet
      }
      try {
        const size = fstatSync(fd).size;
        if (size <= offset) return;
        const buf = Buffer.allocUnsafe(size - offset);
        const n = readSync(fd, buf, 0, buf.length, offset);
        const end = buf.lastIndexOf(0x0a, n - 1) + 1; // whole lines only
        if (end === 0) return;
        appendKeylog(this.target, buf.subarray(0, end));
        offset += end;
      } catch {
        /* the private file vanished: keys are best-effort */
      } finally {
        closeSync(fd);
      }
    };
    return {
      path,
      flush,
      done: () => {
        flush();
        rmSync(path, { force: true });
      },
    };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Appends whole key log lines in one write (lines of concurrent connections never interleave); best-effort. */
function appendKeylog(target: string, lines: Buffer | string): void {
  try {
    appendFileSync(target, lines, { mode: 0o600 });
  } catch {
    /* the target is not writable: the caller learned that at startup; keys are best-effort */
  }
}

/**
 * The key log of one connection of our own TLS engine, which hands its lines
 * over as it derives each secret (no private file in between): kept until
 * `flush()` appends them in one write — when the handshake completes (every
 * secret a capture needs exists by then) and when the connection ends (a
 * failed handshake's secrets are worth having too).
 */
export class ConnectionKeylogLines {
  private pending: string[] = [];

  constructor(private readonly target: string) {}

  add(line: string): void {
    this.pending.push(line);
  }

  flush(): void {
    if (!this.pending.length) return;
    appendKeylog(this.target, this.pending.join('\n') + '\n');
    this.pending = [];
  }
}
