/**
 * Where access log lines go: a file opened for appending (or stdout), with
 * Traefik's `bufferingSize` (lines held and written together, at most a second
 * late) and `reopen()` for log rotation: after `mv access.log access.log.1`,
 * SIGUSR1 makes the next lines go to a new `access.log` (logrotate's
 * `postrotate kill -USR1`), as Traefik does.
 */
import { createWriteStream, type WriteStream } from 'node:fs';

const FLUSH_AFTER_MS = 1000;

export class AccessLogOutput {
  private out: WriteStream | NodeJS.WriteStream;
  private held: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Lines of this event-loop turn, written together right after it (one write instead of one per line under load). */
  private turn = '';
  private turnScheduled = false;
  private readonly writeTurn = () => {
    this.turnScheduled = false;
    const lines = this.turn;
    this.turn = '';
    if (lines !== '') this.out.write(lines);
  };

  constructor(
    private readonly filePath: string | undefined,
    private readonly bufferingSize: number,
    private readonly onError: (err: Error) => void,
  ) {
    this.out = this.open();
  }

  private open(): WriteStream | NodeJS.WriteStream {
    if (!this.filePath) return process.stdout;
    const stream = createWriteStream(this.filePath, { flags: 'a', mode: 0o644 });
    // A full disk or a removed directory must not take the proxy down: say so and drop lines.
    stream.on('error', this.onError);
    return stream;
  }

  write(line: string): void {
    if (this.bufferingSize <= 0) {
      this.turn += line;
      if (!this.turnScheduled) {
        this.turnScheduled = true;
        setImmediate(this.writeTurn);
      }
      return;
    }
    this.held.push(line);
    if (this.held.length >= this.bufferingSize) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), FLUSH_AFTER_MS);
      this.timer.unref();
    }
  }

  flush(): void {
    this.writeTurn();
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.held.length === 0) return;
    const lines = this.held.join('');
    this.held = [];
    this.out.write(lines);
  }

  /** Close the file and open its path again (log rotation). Lines held are written to the old file first. */
  reopen(): void {
    if (!this.filePath) return;
    this.flush();
    const old = this.out as WriteStream;
    this.out = this.open();
    old.end();
  }

  close(): Promise<void> {
    this.flush();
    if (!this.filePath) return Promise.resolve();
    const out = this.out as WriteStream;
    return new Promise((resolve) => out.end(() => resolve()));
  }
}
