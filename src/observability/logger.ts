/** Structured logs through pino: JSON by default in containers, readable text for people at a terminal. */
import { pino, type Logger } from 'pino';
import { createWriteStream } from 'node:fs';
import type { StaticConfig } from '../config/static-config.js';

export type { Logger };

export function createLogger(cfg: StaticConfig['log']): Logger {
  const dest = cfg.filePath ? createWriteStream(cfg.filePath, { flags: 'a' }) : process.stderr;
  if (cfg.format === 'json') return pino({ level: cfg.level, base: { app: 'portico' } }, dest);
  // Text: one line per event, fields appended as key=value; no extra dependency for pretty printing.
  const text = {
    write(line: string) {
      try {
        const o = JSON.parse(line) as Record<string, unknown>;
        const { level, time, msg, app, ...rest } = o;
        void app;
        const fields = Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        dest.write(
          `${new Date(time as number).toISOString()} ${pino.levels.labels[level as number]?.toUpperCase() ?? level} ${msg}${fields ? ' ' + fields : ''}\n`,
        );
      } catch {
        dest.write(line);
      }
    },
  };
  return pino({ level: cfg.level, base: { app: 'portico' } }, text);
}
