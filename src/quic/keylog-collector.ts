/**
 * Collect NSS key log lines of every QUIC connection into one file. quiche
 * writes keys per connection and truncates the file it is given, so each
 * connection gets a private file (mode 0600 in a private directory) whose
 * lines are appended to the shared keylog when the connection ends.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class KeylogCollector {
  private readonly dir = mkdtempSync(join(tmpdir(), 'portico-keylog-'));
  private n = 0;

  constructor(readonly target: string) {
    chmodSync(this.dir, 0o700);
  }

  /** A private file for one connection, and the function that folds it into the target. */
  perConnection(): { path: string; done: () => void } {
    const path = join(this.dir, `conn-${++this.n}.keys`);
    return {
      path,
      done: () => {
        try {
          const lines = readFileSync(path, 'utf8');
          if (lines) appendFileSync(this.target, lines, { mode: 0o600 });
        } catch {
          /* the connection never got far enough to have keys */
        }
        rmSync(path, { force: true });
      },
    };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
