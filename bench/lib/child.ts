/**
 * Bench processes: each side of a measurement that should not share a CPU with the other runs in
 * its own Node process (2 cores here). A child speaks one JSON object per stdout line prefixed
 * with `@` (`@{"ready":…}`, `@{"result":…}`); anything else it prints is passed to our stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The bench runs either from source (tsx) or, as `npm run bench` does, compiled by tsc into
 * bench/.build — the code as it ships, without what tsx adds (esbuild's keepNames gives every
 * closure a property array of its own: a few hundred bytes per modem in the fleet bench).
 * Children run the same way as their parent.
 */
const COMPILED = import.meta.url.endsWith('.js');
const EXT = COMPILED ? '.js' : '.ts';
/** bench/ (or bench/.build/bench/ when compiled). */
const BENCH_DIR = join(import.meta.dirname, '..');
export const ROOT = join(BENCH_DIR, COMPILED ? '../../..' : '..');
/** The `a76xx` CLI, run the same way as the bench. */
export const CLI = join(BENCH_DIR, '../src/cli/main' + EXT);

/** A bench script by its path under bench/ without extension (`workers/relay`). */
export function benchScript(name: string): string {
  return join(BENCH_DIR, name + EXT);
}

export interface BenchChild {
  readonly process: ChildProcess;
  /** The next `@` message whose key is `key` (bounded by `timeoutMs`). */
  message<T>(key: string, timeoutMs: number): Promise<T>;
  /** A line of plain output that matches (for the CLI's ready line). */
  line(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** Send one JSON command on the child's stdin. */
  send(command: object): void;
  /** Kill it (SIGKILL after a grace) and wait for the exit, bounded. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  readonly nodeFlags?: readonly string[];
  /** Show the child's stderr (default true). */
  readonly stderr?: boolean;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export function spawnBench(script: string, args: readonly string[] = [], options: SpawnOptions = {}): BenchChild {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...(COMPILED ? [] : ['--import', 'tsx']), script, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', options.stderr === false ? 'ignore' : 'inherit'],
  });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  const messages: Record<string, unknown>[] = [];
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line.startsWith('@')) {
      try {
        messages.push(JSON.parse(line.slice(1)) as Record<string, unknown>);
      } catch {
        lines.push(line);
      }
    } else {
      lines.push(line);
    }
    wake?.();
  });
  child.stdin?.on('error', () => {});

  async function waitFor<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let gone = false;
    void exited.then(() => {
      gone = true;
      wake?.();
    });
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (gone) throw new Error(`${script} exited (code ${child.exitCode}) while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${script}: no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
      });
    }
  }

  return {
    process: child,
    message<T>(key: string, timeoutMs: number): Promise<T> {
      return waitFor(
        () => {
          const index = messages.findIndex((m) => key in m);
          if (index < 0) return undefined;
          const [found] = messages.splice(index, 1);
          return (found as Record<string, unknown>)[key] as T;
        },
        timeoutMs,
        `@${key}`,
      );
    },
    line(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
      return waitFor(
        () => {
          for (const line of lines) {
            const match = pattern.exec(line);
            if (match !== null) return match;
          }
          return undefined;
        },
        timeoutMs,
        `a line matching ${pattern}`,
      );
    },
    send(command: object): void {
      child.stdin?.write(`${JSON.stringify(command)}\n`);
    },
    async stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      clearTimeout(timer);
    },
  };
}

/** In a child: say something to the parent. */
export function tell(key: string, value: unknown): void {
  process.stdout.write(`@${JSON.stringify({ [key]: value })}\n`);
}

/** In a child: the parent's commands, one JSON object a line on stdin. */
export function commands(handle: (command: Record<string, unknown>) => void | Promise<void>): void {
  createInterface({ input: process.stdin }).on('line', (line) => {
    let command: Record<string, unknown>;
    try {
      command = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    Promise.resolve(handle(command)).catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    });
  });
  // The parent went away: so do we.
  process.stdin.on('end', () => process.exit(0));
}
