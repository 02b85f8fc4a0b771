/**
 * A package-lock.json for a project outside the repository that depends on
 * Portico's packed tarball (and, for development, on TypeScript and
 * @types/node), pinned to the versions this repository's lock installed. With
 * it `npm install --offline` takes every package from npm's cache, where this
 * repository's own `npm install` put them: no registry round trip, no
 * resolution. Portico's production dependencies sit at the same node_modules
 * paths as in this repository; its development-only ones are left out, as a
 * real install of the package leaves them out.
 */
import { readFileSync } from 'node:fs';

interface LockEntry {
  version?: string;
  dev?: boolean;
  [field: string]: unknown;
}

export interface OfflineProject {
  packageJson: Record<string, unknown>;
  packageLock: Record<string, unknown>;
}

/** `devTools`: packages the project installs with --save-dev, taken at the version this repository uses. */
export function offlineProject(repoRoot: string, tarball: string, packageJson: Record<string, unknown>, devTools: string[]): OfflineProject {
  const lock = JSON.parse(readFileSync(`${repoRoot}/package-lock.json`, 'utf8')) as { packages: Record<string, LockEntry> };
  const portico = lock.packages['']!;
  const devDependencies: Record<string, string> = {};
  for (const name of devTools) {
    const version = lock.packages[`node_modules/${name}`]?.version;
    if (!version) throw new Error(`${name} is not in this repository's package-lock.json`);
    devDependencies[name] = `^${version}`;
  }
  const project = { ...packageJson, dependencies: { portico: `file:${tarball}` }, devDependencies } as {
    name?: string;
    version?: string;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const packages: Record<string, LockEntry> = {
    '': { name: project.name, version: project.version, dependencies: project.dependencies, devDependencies },
    'node_modules/portico': {
      version: portico.version,
      resolved: `file:${tarball}`,
      license: portico.license,
      dependencies: portico.dependencies,
      optionalDependencies: portico.optionalDependencies,
      bin: portico.bin,
      engines: portico.engines,
    },
  };
  const tools = new Set(devTools.map((n) => `node_modules/${n}`));
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || (entry.dev && !tools.has(path))) continue;
    packages[path] = { ...entry };
  }
  return { packageJson: project, packageLock: { name: project.name, version: project.version, lockfileVersion: 3, requires: true, packages } };
}
