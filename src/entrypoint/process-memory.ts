/**
 * The process's memory, sampled twice a second by one timer however many
 * entrypoints read it, so a per-request overload check reads two numbers
 * instead of asking V8 and the kernel each time.
 */
export interface MemorySample {
  heapUsedBytes: number;
  rssBytes: number;
}

const SAMPLE_EVERY_MS = 500;
const latest: MemorySample = { heapUsedBytes: 0, rssBytes: 0 };
let readers = 0;
let timer: NodeJS.Timeout | undefined;

function sample(): void {
  const m = process.memoryUsage();
  latest.heapUsedBytes = m.heapUsed;
  latest.rssBytes = m.rss;
}

/** Start reading the process's memory; call the returned function when done (the timer stops with the last reader). */
export function watchProcessMemory(): { current: () => MemorySample; stop: () => void } {
  if (readers++ === 0) {
    sample();
    timer = setInterval(sample, SAMPLE_EVERY_MS);
    timer.unref();
  }
  let stopped = false;
  return {
    current: () => latest,
    stop: () => {
      if (stopped) return;
      stopped = true;
      if (--readers === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    },
  };
}
