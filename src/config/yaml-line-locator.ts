/**
 * Find the line of a field path (`http.routers.api.rule`) in YAML text by
 * walking keys in order, each looked for among the direct children of the
 * previous one (the lines indented under it, up to the block's end). js-yaml
 * gives no node positions; this is good enough to point a person at the right
 * line. A key written inline (`tls: { options: x }`) gets its parent's line.
 */
export function yamlLineLocator(text: string, firstLine = 1): (path: string[]) => number | undefined {
  const lines = text.split('\n');
  const indentOf = (line: string): number | undefined => (/^\s*(#|$)/.test(line) ? undefined : /^\s*/.exec(line)![0].length);
  return (path) => {
    let from = 0;
    let parentIndent = -1;
    let afterListIndex = false;
    let found: number | undefined;
    for (const key of path) {
      if (/^\d+$/.test(key)) {
        afterListIndex = true; // list indexes: keep the parent's line
        continue;
      }
      const re = new RegExp(`^(\\s*)(?:-\\s+)?["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*:`);
      let childIndent: number | undefined;
      let hit = -1;
      for (let i = from; i < lines.length; i++) {
        const indent = indentOf(lines[i]!);
        if (indent === undefined) continue;
        if (indent <= parentIndent) break; // left the parent's block
        childIndent ??= indent;
        // Items of a list sit two columns right of their dash.
        if (indent > childIndent + (afterListIndex ? 2 : 0)) continue;
        const m = re.exec(lines[i]!);
        if (m) {
          hit = i;
          parentIndent = m[1]!.length;
          break;
        }
      }
      if (hit < 0) break;
      found = hit + firstLine;
      from = hit + 1;
      afterListIndex = false;
    }
    return found;
  };
}
