/**
 * Read a whole request body, keeping up to `memoryBytes` in memory and the
 * rest in a temporary file (so many large uploads do not exhaust memory),
 * refusing past `maxBytes`. The result replays as a Readable; the file is
 * removed once replayed or abandoned.
 */
import { createReadStream, createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';

export type SpoolResult = { tooLarge: true } | { tooLarge: false; size: number; body: Readable; dispose(): void };

export async function spoolBody(source: AsyncIterable<Buffer | string>, maxBytes: number, memoryBytes: number): Promise<SpoolResult> {
  const memory: Buffer[] = [];
  let size = 0;
  let file: WriteStream | undefined;
  let path: string | undefined;
  let fileError: Error | undefined;
  const removeFile = () => {
    if (path) void fs.rm(path, { force: true });
  };
  try {
    for await (const raw of source) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
      size += chunk.length;
      if (size > maxBytes) {
        file?.destroy();
        removeFile();
        return { tooLarge: true };
      }
      if (!file && size <= memoryBytes) {
        memory.push(chunk);
        continue;
      }
      if (!file) {
        path = join(tmpdir(), `portico-body-${process.pid}-${randomBytes(8).toString('hex')}`);
        file = createWriteStream(path, { mode: 0o600 });
        // Without a listener a disk error (or a write racing our own destroy) would crash the process.
        file.on('error', (err) => (fileError ??= err));
      }
      if (fileError) throw new Error(`buffering: cannot write the request body to ${path}: ${fileError.message}`);
      if (!file.write(chunk)) await Promise.race([once(file, 'drain'), once(file, 'close')]);
    }
  } catch (err) {
    file?.destroy();
    removeFile();
    throw err;
  }
  if (!file) return { tooLarge: false, size, body: Readable.from(memory.length ? [Buffer.concat(memory)] : []), dispose: () => {} };
  file.end();
  await Promise.race([once(file, 'finish'), once(file, 'close')]);
  if (fileError) {
    removeFile();
    throw new Error(`buffering: cannot write the request body to ${path}: ${(fileError as Error).message}`);
  }
  const spilled = path!;
  async function* replay(): AsyncGenerator<Buffer> {
    if (memory.length) yield Buffer.concat(memory);
    yield* createReadStream(spilled) as AsyncIterable<Buffer>;
  }
  const body = Readable.from(replay());
  body.once('close', removeFile);
  return { tooLarge: false, size, body, dispose: removeFile };
}
