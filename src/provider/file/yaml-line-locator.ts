/**
 * Find the line of a field path (`http.routers.api.rule`) in YAML text by
 * walking keys in order with increasing indentation. js-yaml gives no node
 * positions; this is good enough to point a person at the right line.
 */
export function yamlLineLocator(text: string, firstLine = 1): (path: string[]) => number | undefined {
  const lines = text.split('\n');
  return (path) => {
    let from = 0;
    let indent = -1;
    let found: number | undefined;
    for (const key of path) {
      if (/^\d+$/.test(key)) continue; // list indexes: keep the parent's line
      const re = new RegExp(`^(\\s*)(?:-\\s+)?["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*:`);
      let hit = -1;
      for (let i = from; i < lines.length; i++) {
        const m = re.exec(lines[i]!);
        if (m && m[1]!.length > indent) {
          hit = i;
          indent = m[1]!.length;
          break;
        }
      }
      if (hit < 0) break;
      found = hit + firstLine;
      from = hit + 1;
    }
    return found;
  };
}
