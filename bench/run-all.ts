/** `npm run bench`: every benchmark in turn, each printing its own figures and ratios. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benches = ['routing.js', 'proxy-h1-h2.js', 'http3.js'];
let failed = 0;
for (const b of benches) {
  const path = fileURLToPath(new URL(b, import.meta.url));
  const r = spawnSync(process.execPath, [path, ...process.argv.slice(2)], { stdio: 'inherit', timeout: 15 * 60_000 });
  if (r.status !== 0) failed++;
  console.log('');
}
process.exit(failed ? 1 : 0);
