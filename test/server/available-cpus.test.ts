import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { availableCpus, cgroupCpuQuota } from '../../src/server/available-cpus.js';

function cgroup(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'cgroup-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content + '\n');
  }
  return root;
}

describe('availableCpus (workers: auto)', () => {
  it('a 2-CPU pod limit on a 64-core node gives 2 (cgroup v2)', () => {
    expect(availableCpus(cgroup({ 'cpu.max': '200000 100000' }), 64)).toEqual({ cpus: 2, source: 'cgroup v2 cpu.max' });
  });
  it('rounds a fractional quota up and never goes below 1', () => {
    expect(availableCpus(cgroup({ 'cpu.max': '150000 100000' }), 64).cpus).toBe(2);
    expect(availableCpus(cgroup({ 'cpu.max': '10000 100000' }), 64).cpus).toBe(1);
  });
  it('no quota ("max") counts the available CPUs', () => {
    expect(availableCpus(cgroup({ 'cpu.max': 'max 100000' }), 8)).toEqual({ cpus: 8, source: 'available parallelism' });
    expect(cgroupCpuQuota(cgroup({ 'cpu.max': 'max 100000' }))).toBeUndefined();
  });
  it('a quota above the CPUs there are is capped by them', () => {
    expect(availableCpus(cgroup({ 'cpu.max': '800000 100000' }), 2).cpus).toBe(2);
  });
  it('reads cgroup v1 cfs quota (-1 = none)', () => {
    expect(availableCpus(cgroup({ 'cpu/cpu.cfs_quota_us': '300000', 'cpu/cpu.cfs_period_us': '100000' }), 16)).toEqual({
      cpus: 3,
      source: 'cgroup v1 cfs quota',
    });
    expect(availableCpus(cgroup({ 'cpu/cpu.cfs_quota_us': '-1', 'cpu/cpu.cfs_period_us': '100000' }), 16).cpus).toBe(16);
  });
  it('no cgroup files at all: available parallelism, at least 1', () => {
    expect(availableCpus(cgroup({}), 4).cpus).toBe(4);
    expect(availableCpus(cgroup({}), 0).cpus).toBe(1);
  });
});
