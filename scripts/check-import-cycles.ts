/**
 * Fails when the folders of `src/` import each other in a cycle.
 *
 *   npm run check:imports                              # src/ of this checkout
 *   npx tsx scripts/check-import-cycles.ts --root DIR  # another tree (the tests' fixtures)
 *
 * The unit is a folder, not a file: `src/a/x.ts` importing `src/b/y.ts` while
 * anything in `src/b` imports anything in `src/a` is a cycle, however many
 * files and folders the way back passes through. A subfolder counts as its
 * top folder under src/ (`src/middleware/headers` is `middleware`): the top
 * folders are the layers README.md draws (config → provider → dynamic →
 * runtime → router/middleware/service, entrypoint, tls, …), and a layer may
 * be organised inside as it likes. Files directly in src/ (`cli.ts`) are each
 * a unit of their own.
 *
 * Except in `src/quic/` and `src/http3/`, where each subfolder is a unit of
 * its own (`quic/packet`, `quic/recovery`, `quic/tls13`, `http3/qpack`) and
 * the files directly in the folder are one more (`quic`, `http3`). Those
 * folders are protocol stacks whose subfolders are the layers of the RFCs
 * (packet protection under recovery under streams; QPACK under HTTP/3), built
 * and tested apart, and a cycle between two of them is the layering mistake
 * this check exists to catch; collapsed to `quic`, it would be invisible.
 * A cycle between `quic/packet` and `http3` is still one (they are units too).
 *
 * Every import counts, `import type` included: a folder whose types come from
 * another depends on it as surely as one that calls it (the Exchange type, once
 * in middleware/ and implemented in entrypoint/, was the coupling issue 9 is
 * about; it is in exchange/ now).
 * The report marks type-only edges, so a cycle that costs nothing at run time
 * reads as such. What is read: static imports and re-exports, `import x =
 * require()`, `import('…')` and `typeof import('…')` with a literal specifier.
 * Only relative specifiers resolve to files; packages are not followed. An
 * import from src/ into a folder outside it (test/, bench/) is reported too.
 *
 * Why a script and not dependency-cruiser or madge: both find cycles between
 * files, and dependency-cruiser's folder-scope rules treat every directory as
 * a node of its own, so `src/a/sub → src/b → src/a/other` is not a cycle to
 * them (tried: no violation reported); collapsing to top folders is only a
 * reporting option there. This reads each file with TypeScript's parser (no
 * type-check): about a second for src/.
 *
 * Exit 0 and a one-line summary when there is no cycle; exit 1 and each cycle
 * with the imports that make it otherwise.
 */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Folders whose subfolders are units of their own (see above). */
const STACKS = new Set(['quic', 'http3']);

interface ImportEdge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(c|m)?tsx?$/.test(name) && !/\.d\.(c|m)?ts$/.test(name)) out.push(path);
  }
  return out;
}

/** The unit a file belongs to, from its path relative to the root. */
export function unitOf(relativePath: string): string {
  const parts = relativePath.split(sep).join('/').split('/');
  if (parts.length === 1) return parts[0]!.replace(/\.(c|m)?tsx?$/, '');
  if (STACKS.has(parts[0]!) && parts.length >= 3) return `${parts[0]}/${parts[1]}`;
  return parts[0]!;
}

/** Relative specifiers with whether the import is for types only. */
function importsOf(file: string): Array<{ specifier: string; typeOnly: boolean }> {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Array<{ specifier: string; typeOnly: boolean }> = [];
  const add = (node: ts.Node | undefined, typeOnly: boolean) => {
    if (node && ts.isStringLiteralLike(node) && node.text.startsWith('.')) found.push({ specifier: node.text, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const everyNameTypeOnly = !!named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, !!clause && (clause.isTypeOnly || (!clause.name && everyNameTypeOnly)));
    } else if (ts.isExportDeclaration(node)) {
      const named = node.exportClause;
      const everyNameTypeOnly = !!named && ts.isNamedExports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, node.isTypeOnly || everyNameTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The file a relative specifier names (NodeNext: `./x.js` is `./x.ts`), if it exists. */
function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [base, base.replace(/\.(c|m)?js$/, (_m, k: string | undefined) => `.${k ?? ''}ts`), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** Strongly connected components with more than one unit (Tarjan). */
function cycles(units: string[], next: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (u: string): void => {
    indexOf.set(u, index);
    low.set(u, index++);
    stack.push(u);
    onStack.add(u);
    for (const v of next.get(u) ?? []) {
      if (!indexOf.has(v)) {
        connect(v);
        low.set(u, Math.min(low.get(u)!, low.get(v)!));
      } else if (onStack.has(v)) low.set(u, Math.min(low.get(u)!, indexOf.get(v)!));
    }
    if (low.get(u) === indexOf.get(u)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== u);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const u of units) if (!indexOf.has(u)) connect(u);
  return found;
}

export interface ImportCheck {
  files: number;
  units: string[];
  /** Each cycle's units, then the imports between them: `from → to` per unit pair, with examples. */
  cycles: Array<{ units: string[]; edges: Array<{ from: string; to: string; typeOnly: boolean; imports: ImportEdge[] }> }>;
  /** Imports that leave the root (src/ importing test/ or bench/). */
  outside: ImportEdge[];
}

export function checkImports(root: string): ImportCheck {
  const files = sourceFiles(root);
  const byPair = new Map<string, ImportEdge[]>();
  const next = new Map<string, Set<string>>();
  const outside: ImportEdge[] = [];
  const units = new Set<string>();
  for (const file of files) {
    const from = unitOf(relative(root, file));
    units.add(from);
    for (const { specifier, typeOnly } of importsOf(file)) {
      const target = resolveSpecifier(file, specifier);
      if (!target) continue; // tsc reports a missing module; this check is about structure
      const rel = relative(root, target);
      const edge = { from: relative(root, file), to: rel, typeOnly };
      if (rel.startsWith('..')) {
        outside.push(edge);
        continue;
      }
      const to = unitOf(rel);
      if (to === from) continue;
      if (!next.has(from)) next.set(from, new Set());
      next.get(from)!.add(to);
      const key = `${from}\0${to}`;
      if (!byPair.has(key)) byPair.set(key, []);
      byPair.get(key)!.push(edge);
    }
  }
  const sortedUnits = [...units].sort();
  return {
    files: files.length,
    units: sortedUnits,
    cycles: cycles(sortedUnits, next).map((component) => {
      const inCycle = new Set(component);
      const edges = [...byPair.entries()]
        .map(([key, imports]) => {
          const [from, to] = key.split('\0') as [string, string];
          return { from, to, typeOnly: imports.every((i) => i.typeOnly), imports };
        })
        .filter((e) => inCycle.has(e.from) && inCycle.has(e.to))
        .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
      return { units: component, edges };
    }),
    outside,
  };
}

function report(check: ImportCheck, rootName: string): string {
  const lines: string[] = [];
  for (const cycle of check.cycles) {
    lines.push(`cycle between ${cycle.units.join(', ')}:`);
    for (const e of cycle.edges) {
      const shown = e.imports.slice(0, 3).map((i) => `${rootName}/${i.from} → ${i.to}${i.typeOnly ? ' (type)' : ''}`);
      const more = e.imports.length > 3 ? ` and ${e.imports.length - 3} more` : '';
      lines.push(`  ${e.from} → ${e.to}${e.typeOnly ? ' (types only)' : ''}: ${shown.join('; ')}${more}`);
    }
  }
  for (const o of check.outside) lines.push(`${rootName}/${o.from} imports ${o.to}, outside ${rootName}/`);
  return lines.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const at = process.argv.indexOf('--root');
  const root = resolve(at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : 'src');
  const check = checkImports(root);
  const shortName = relative(process.cwd(), root) || '.';
  const rootName = shortName.startsWith('..') ? root : shortName;
  if (check.cycles.length || check.outside.length) {
    console.error(report(check, rootName));
    console.error(`check:imports: ${check.cycles.length} cycle(s) between folders of ${rootName}/, ${check.outside.length} import(s) leaving it`);
    process.exit(1);
  }
  console.log(`check:imports: ${check.files} files in ${check.units.length} folders of ${rootName}/, no cycle`);
}
