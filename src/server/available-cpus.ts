/**
 * How many processes `workers: auto` should run: the CPUs this process may
 * actually use. `os.availableParallelism()` counts the CPUs of the node (or
 * the affinity mask), not the cgroup CPU quota, so a pod limited to 2 CPUs on
 * a 64-core node would fork 64 workers that the kernel then throttles. The
 * quota is read from cgroup v2 (`cpu.max`: "<quota> <period>" or "max
 * <period>") or v1 (`cpu.cfs_quota_us` / `cpu.cfs_period_us`, -1 = none); a
 * fractional quota rounds up (1.5 CPUs → 2) and the answer is at least 1.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export interface CpuCount {
  cpus: number;
  /** Where the number came from, for the start-up log. */
  source: 'cgroup v2 cpu.max' | 'cgroup v1 cfs quota' | 'available parallelism';
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The cgroup CPU quota in CPUs, or undefined when there is none or it cannot be read. */
export function cgroupCpuQuota(cgroupRoot = '/sys/fs/cgroup'): { cpus: number; source: CpuCount['source'] } | undefined {
  const v2 = read(join(cgroupRoot, 'cpu.max'));
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    const q = Number(quota);
    const p = Number(period ?? 100_000);
    if (quota === 'max' || !Number.isFinite(q) || q <= 0 || !Number.isFinite(p) || p <= 0) return undefined;
    return { cpus: q / p, source: 'cgroup v2 cpu.max' };
  }
  const q = Number(read(join(cgroupRoot, 'cpu', 'cpu.cfs_quota_us')) ?? read(join(cgroupRoot, 'cpu,cpuacct', 'cpu.cfs_quota_us')));
  const p = Number(read(join(cgroupRoot, 'cpu', 'cpu.cfs_period_us')) ?? read(join(cgroupRoot, 'cpu,cpuacct', 'cpu.cfs_period_us')));
  if (!Number.isFinite(q) || q <= 0 || !Number.isFinite(p) || p <= 0) return undefined;
  return { cpus: q / p, source: 'cgroup v1 cfs quota' };
}

export function availableCpus(cgroupRoot?: string, parallelism = availableParallelism()): CpuCount {
  const quota = cgroupCpuQuota(cgroupRoot);
  if (quota && Math.ceil(quota.cpus) < parallelism) return { cpus: Math.max(1, Math.ceil(quota.cpus)), source: quota.source };
  return { cpus: Math.max(1, parallelism), source: 'available parallelism' };
}
