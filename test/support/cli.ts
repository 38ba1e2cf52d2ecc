import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');

/**
 * How tests start the `a76xx` CLI: the built bin, as `npx a76xx` runs it. `npm test` builds first,
 * so it is never stale there; it also starts in a fraction of the time tsx needs, which keeps
 * process-spawning tests well inside their bounds on a loaded machine.
 */
export function cliArgs(...args: readonly string[]): string[] {
  const bin = join(ROOT, 'dist/cli/main.js');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` (npm test does) before the CLI tests`);
  return [bin, ...args];
}
