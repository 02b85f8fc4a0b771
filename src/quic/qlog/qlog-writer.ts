/**
 * qlog for one connection, as JSON-SEQ (RFC 7464: each record starts with
 * 0x1E and ends with a newline), following the qlog main schema's
 * `JSON-SEQ` serialisation: a header record, then one record per event with
 * a relative time in milliseconds.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

const RS = '\x1e';

export class QlogWriter {
  private readonly out: WriteStream;
  private readonly start = performance.now();

  constructor(
    dir: string,
    readonly odcid: string,
    vantage: 'server' | 'client' = 'server',
  ) {
    this.out = createWriteStream(join(dir, `${odcid}_${vantage}.sqlog`), { flags: 'w', mode: 0o600 });
    // A full disk or an unwritable directory loses the trace, never the connection.
    this.out.on('error', () => undefined);
    this.write({
      qlog_version: '0.3',
      qlog_format: 'JSON-SEQ',
      title: `portico ${vantage} qlog`,
      trace: { vantage_point: { type: vantage }, common_fields: { ODCID: odcid, time_format: 'relative', reference_time: Date.now() } },
    });
  }

  event(category: string, name: string, data: Record<string, unknown>): void {
    this.write({ time: Math.round((performance.now() - this.start) * 1000) / 1000, name: `${category}:${name}`, data });
  }

  close(): void {
    this.out.end();
  }

  private write(record: unknown): void {
    this.out.write(RS + JSON.stringify(record) + '\n');
  }
}
