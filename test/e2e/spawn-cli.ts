import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { parseReadyLine, type ReadyEndpoint } from '../../src/cli/emulate.js';
import { ByteCollector } from './bytes.js';
import { cliArgs, ROOT } from '../support/cli.js';


export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdout: ByteCollector;
  readonly stderr: ByteCollector;
  /** Settles when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The endpoint from the ready line (stdout, or stderr in --stdio mode). */
  ready(timeoutMs?: number): Promise<ReadyEndpoint>;
  /** Kill it if still running (test cleanup). */
  dispose(): void;
}

export function spawnCli(args: readonly string[]): CliProcess {
  const child = spawn(process.execPath, cliArgs(...args), { cwd: ROOT, stdio: 'pipe' });
  const stdout = new ByteCollector();
  const stderr = new ByteCollector();
  child.stdout.on('data', stdout.push);
  child.stderr.on('data', stderr.push);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close', not 'exit': only then has all of the child's output been read.
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    stdout,
    stderr,
    exited,
    async ready(timeoutMs = 15_000) {
      const stream = args.includes('--stdio') ? stderr : stdout;
      const bytes = await Promise.race([
        stream.until((b) => /a76xx emulator ready: [^\n]*\n/.test(b.toString('latin1')), timeoutMs, 'the ready line'),
        exited.then(({ code }) => {
          throw new Error(`the CLI exited (${code}) before it was ready: ${stderr.bytes.toString()}`);
        }),
      ]);
      const line = /a76xx emulator ready: [^\n]*/.exec(bytes.toString('latin1'))?.[0] ?? '';
      const endpoint = parseReadyLine(line);
      if (endpoint === undefined) throw new Error(`unreadable ready line ${JSON.stringify(line)}`);
      return endpoint;
    },
    dispose() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Wait for the exit, bounded. */
export async function exitOf(cli: CliProcess, timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return Promise.race([
    cli.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the CLI did not exit within ${timeoutMs} ms`)), timeoutMs).unref()),
  ]);
}
