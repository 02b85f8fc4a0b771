/**
 * Self time per function (and per source file) from a V8 `.cpuprofile`
 * (`node --cpu-prof`): where the CPU went, without opening DevTools.
 * `--per N` divides by a count (datagrams, requests) to print µs per unit.
 *
 * Inclusive time (the function and what it called) is printed for the
 * functions named with `--inclusive a,b,c`.
 * `--skip-ms N` leaves out the first N ms (start-up: module loading, config).
 *
 *   node dist/bench/cpuprofile-summary.js <file.cpuprofile> [--top 40] [--per 40726] [--skip-ms 3000]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) {
  console.error('usage: cpuprofile-summary <file.cpuprofile> [--top N] [--per COUNT]');
  process.exit(2);
}
const option = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
};
const top = option('top') ?? 40;
const per = option('per');
const skipUs = (option('skip-ms') ?? 0) * 1000;
const inclusiveAt = process.argv.indexOf('--inclusive');
const inclusiveNames = new Set(inclusiveAt > 0 ? process.argv[inclusiveAt + 1]!.split(',') : []);

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
// Self time of a node: the time deltas of the samples that landed on it (a delta belongs to the sample it precedes).
const selfUs = new Map<number, number>();
let at = 0;
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i] ?? 0;
  if (at < skipUs) continue;
  const id = profile.samples[i]!;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
}
// Inclusive time of the named functions: each sample counts once for every distinct named function on its stack.
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
const inclusiveUs = new Map<string, number>();
if (inclusiveNames.size) {
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const name = byId.get(at)!.callFrame.functionName;
      if (inclusiveNames.has(name)) seen.add(name);
    }
    for (const name of seen) inclusiveUs.set(name, (inclusiveUs.get(name) ?? 0) + us);
  }
}
const shortUrl = (url: string) => url.replace(/^file:\/\/.*?\/dist\//, '').replace(/^node:/, 'node:');
const perFunction = new Map<string, number>();
const perFile = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  total += us;
  if (functionName === '(idle)') {
    idle += us;
    continue;
  }
  const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  perFunction.set(key, (perFunction.get(key) ?? 0) + us);
  const fileKey = url ? shortUrl(url) : functionName;
  perFile.set(fileKey, (perFile.get(fileKey) ?? 0) + us);
}
const busy = total - idle;
const row = (name: string, us: number) =>
  `${(us / 1000).toFixed(1).padStart(9)} ms ${((us / busy) * 100).toFixed(1).padStart(5)} %${per ? ` ${(us / per).toFixed(2).padStart(8)} µs/unit` : ''}  ${name}`;
console.log(
  `# ${file}: ${(total / 1e6).toFixed(2)} s profiled, ${(busy / 1e6).toFixed(2)} s busy${per ? `, ${per} units: ${(busy / per).toFixed(1)} µs busy per unit` : ''}`,
);
if (inclusiveNames.size) {
  console.log('\n## inclusive time');
  for (const name of inclusiveNames) console.log(row(name, inclusiveUs.get(name) ?? 0));
}
console.log(`\n## self time per function (top ${top})`);
for (const [name, us] of [...perFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(row(name, us));
console.log(`\n## self time per file (top ${top})`);
for (const [name, us] of [...perFile].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(row(name, us));
