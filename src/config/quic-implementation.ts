/**
 * `entryPoints.<n>.http3.quic`: which QUIC runs HTTP/3. `portico`, our own
 * stack in TypeScript (src/quic/udp), is the default and needs nothing
 * native. `quiche` is the native binding from the package @matrixai/quic,
 * kept selectable for comparison: a development dependency, so production
 * installs (`npm install --omit=dev`, the container image) do not have it,
 * and choosing it there is refused by name at start-up and by
 * `portico check` instead of quietly serving without HTTP/3.
 */
import { createRequire } from 'node:module';

export const QUIC_IMPLEMENTATIONS = ['portico', 'quiche'] as const;
export type QuicImplementation = (typeof QUIC_IMPLEMENTATIONS)[number];
export const DEFAULT_QUIC_IMPLEMENTATION: QuicImplementation = 'portico';

/** The implementation an entrypoint's `http3` section selects. */
export function quicImplementation(h3: { quic?: string }): QuicImplementation {
  return (h3.quic as QuicImplementation | undefined) ?? DEFAULT_QUIC_IMPLEMENTATION;
}

/** Finds a module's file from here, as Node would (throws when it is not installed). */
export type ModuleResolver = (specifier: string) => string;
const resolveFromHere: ModuleResolver = (specifier) => createRequire(import.meta.url).resolve(specifier);

/**
 * Why `quic: quiche` cannot run in this install, or undefined when it can:
 * the package @matrixai/quic and its prebuilt library for this platform
 * (a package of its own, e.g. @matrixai/quic-linux-x64) must both be there.
 * Only resolves paths: nothing native is loaded.
 */
export function quicheUnavailable(resolve: ModuleResolver = resolveFromHere): string | undefined {
  const install =
    "install it with `npm install @matrixai/quic` (prebuilt for linux-x64 glibc only), or drop `quic: quiche` to use Portico's own QUIC, the default";
  let quicPackage: string;
  try {
    quicPackage = resolve('@matrixai/quic/package.json');
  } catch {
    return `quic: quiche needs the native package @matrixai/quic, which this installation does not have (production installs and the container image leave it out): ${install}`;
  }
  const platformPackage = `@matrixai/quic-${process.platform}-${process.arch}`;
  try {
    // The prebuilt library is a dependency of @matrixai/quic: resolve it from there.
    createRequire(quicPackage).resolve(`${platformPackage}/package.json`);
  } catch {
    return `quic: quiche needs ${platformPackage} (the quiche library prebuilt for ${process.platform}-${process.arch}), which is not installed: ${install}`;
  }
  return undefined;
}
