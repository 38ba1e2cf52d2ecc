/**
 * The shape rules of src/, checked from the source text (docs/architecture.md explains them):
 * - no import circle, counting `import type` too (a circle of types is still a circle a reader
 *   has to hold in their head);
 * - imports run down the floors only, never up and never sideways between the emulator and the
 *   driver (the two ends meet in src/at, never in each other);
 * - no source file over 600 lines.
 * `npm run architecture` prints every breach; test/architecture.test.ts fails on any.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

/** Lowest floor first. A part imports only from floors below it (the ground floor's leaves may use each other). */
export const FLOORS: readonly (readonly string[])[] = [
  ['common', 'time'],
  ['at'],
  ['emulator', 'driver'],
  ['control'],
  ['fleet'],
  ['cli'],
];

export const MAX_LINES = 600;

export interface Breach {
  kind: 'circle' | 'upward' | 'sideways' | 'length';
  text: string;
}

function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts')) found.push(path);
  }
  return found;
}

const IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;

function importsOf(file: string, text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => normalize(join(dirname(file), m[1]!)).replace(/\.js$/, '.ts'));
}

function partOf(root: string, file: string): string {
  return relative(root, file).split(sep)[0]!;
}

function floorOf(part: string): number {
  return FLOORS.findIndex((floor) => floor.includes(part));
}

/** Strongly connected components of more than one file (Tarjan), i.e. the import circles. */
function circles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

export function architectureBreaches(root = 'src'): Breach[] {
  const breaches: Breach[] = [];
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(root)) {
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > MAX_LINES) breaches.push({ kind: 'length', text: `${file}: ${lines} lines (at most ${MAX_LINES})` });
    const targets = importsOf(file, text);
    graph.set(file, targets);
    const from = partOf(root, file);
    for (const target of targets) {
      const to = partOf(root, target);
      if (to === from) continue;
      const fromFloor = floorOf(from);
      const toFloor = floorOf(to);
      if (fromFloor === -1 || toFloor === -1) continue;
      if (toFloor > fromFloor) breaches.push({ kind: 'upward', text: `${file} imports ${target}: ${from} is below ${to}` });
      else if (toFloor === fromFloor && fromFloor !== 0)
        breaches.push({ kind: 'sideways', text: `${file} imports ${target}: ${from} and ${to} stand side by side` });
    }
  }
  for (const circle of circles(graph)) breaches.push({ kind: 'circle', text: `${circle.length} files: ${circle.join(' → ')}` });
  return breaches;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split(sep).join('/'))) {
  const breaches = architectureBreaches(process.argv[2] ?? 'src');
  for (const breach of breaches) console.log(`${breach.kind}: ${breach.text}`);
  console.log(breaches.length === 0 ? 'architecture: no breach' : `architecture: ${breaches.length} breaches`);
  process.exitCode = breaches.length === 0 ? 0 : 1;
}
