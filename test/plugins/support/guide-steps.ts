/**
 * The steps of a Markdown guide in the order a reader meets them: a fenced
 * block whose info string names a file (```ts file=src/x.ts) is a file to
 * write verbatim, and every line of a ```sh block is a command to run.
 */
export type GuideStep = { kind: 'file'; path: string; content: string } | { kind: 'command'; command: string };

export function guideSteps(markdown: string): GuideStep[] {
  const steps: GuideStep[] = [];
  for (const block of markdown.matchAll(/^```(\w+)([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const [, lang, info, body] = block as unknown as [string, string, string, string];
    const file = /\bfile=(\S+)/.exec(info)?.[1];
    if (file) steps.push({ kind: 'file', path: file, content: body });
    else if (lang === 'sh')
      for (const line of body.split('\n')) if (line.trim() && !line.trim().startsWith('#')) steps.push({ kind: 'command', command: line.trim() });
  }
  return steps;
}
