import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTranscript } from '../../src/at/transcript.js';
import { ControlClient } from '../../src/control/client.js';
import { parseControlReadyLine, type ControlAnnouncement } from '../../src/control/http-server.js';
import { wordsToArgs } from '../../src/control/params.js';
import { verbNamed } from '../../src/control/verbs.js';
import type { DialectName } from '../../src/emulator/dialect.js';
import { exitOf, spawnCli, type CliProcess } from '../e2e/spawn-cli.js';
import { freePort, peerActions, TcpPeer } from '../support/peers.js';
import { loadTranscript, runTranscript, type HostPort } from '../support/transcript-runner.js';
import { cliArgs, ROOT } from '../support/cli.js';

/**
 * End to end: a spawned `a76xx emulate --control` served on TCP, a host on its AT port playing a
 * transcript, and faults injected by a spawned `a76xx ctl` process (`! ctl VERB ARGS`), or through
 * the same HTTP API in process (`! api VERB ARGS`: fewer processes to start). The
 * transcripts (test/transcripts/control/e2e/<dialect>.txt) show each dialect working through the
 * whole stack, network loss and recovery included.
 */
const TRANSCRIPTS = join(import.meta.dirname, '../transcripts/control/e2e');
const TIMEOUT = { timeout: 30_000 };

// Token files this file's emulators write by default go here, not under the user's home.
const RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'a76xx-e2e-runtime-'));
process.env['XDG_RUNTIME_DIR'] = RUNTIME_DIR;
after(() => rmSync(RUNTIME_DIR, { recursive: true, force: true }));

/** How each dialect's run hands the token to `a76xx ctl`: every way gets used. */
const TOKEN_WAYS = { a76xx: 'token-file', 'app-note': 'env', sim7600: 'flag' } as const;

interface CtlRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly spawnedAt: number;
  readonly exitedAt: number;
}

/** Run `a76xx ctl ARGS` to its end (bounded). */
function ctl(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CtlRun> {
  return new Promise((resolve, reject) => {
    const spawnedAt = Date.now();
    const child = spawn(process.execPath, cliArgs('ctl', ...args), { cwd: ROOT, stdio: 'pipe', env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`a76xx ctl ${args.join(' ')}: no exit within 15 s`));
    }, 15_000);
    // 'close', not 'exit': only then has all of the child's output been read.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, spawnedAt, exitedAt: Date.now() });
    });
  });
}

interface Emulator {
  readonly cli: CliProcess;
  readonly tcpPort: number;
  readonly control: ControlAnnouncement;
}

async function startEmulator(extra: readonly string[]): Promise<Emulator> {
  const cli = spawnCli(['emulate', '--tcp', '0', '--control', '0', '--hosts-only', '--host', 'peer.test=127.0.0.1', ...extra]);
  const ready = await cli.ready();
  if (ready.kind !== 'tcp') throw new Error('expected a TCP endpoint');
  const line = /a76xx control ready: [^\n]*/.exec(cli.stdout.bytes.toString())?.[0] ?? '';
  const control = parseControlReadyLine(line);
  if (control === undefined) throw new Error(`no control ready line before the ready line: ${cli.stdout.bytes.toString()}`);
  return { cli, tcpPort: ready.port, control };
}

/** A host on the AT port; `arrivals` remembers when each chunk came. */
async function attachHost(port: number): Promise<{ socket: Socket; port: HostPort; arrivals: { at: number; bytes: Buffer }[] }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const arrivals: { at: number; bytes: Buffer }[] = [];
  socket.on('data', (bytes: Buffer) => arrivals.push({ at: Date.now(), bytes }));
  return {
    socket,
    arrivals,
    port: {
      write: (bytes) => void socket.write(bytes),
      onData(listener) {
        socket.on('data', listener);
        return () => socket.off('data', listener);
      },
    },
  };
}

/**
 * A TCP relay in front of the control server that notes when a request's first bytes arrive, so
 * the test can time the verb itself apart from the start-up of the `a76xx ctl` process.
 */
async function timingRelay(target: number): Promise<{ port: number; requests: number[]; close(): void }> {
  const requests: number[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    const upstream = connect({ host: '127.0.0.1', port: target });
    sockets.add(upstream);
    client.once('data', () => requests.push(Date.now()));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('e2e: a76xx ctl against a spawned emulator', { concurrency: true }, () => {
  for (const dialect of ['a76xx', 'app-note', 'sim7600'] as const satisfies readonly DialectName[]) {
    it(`--dialect ${dialect}: network-loss from the CLI reaches the AT port at once, recovery works`, TIMEOUT, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), `a76xx-e2e-${dialect}-`));
      const way = TOKEN_WAYS[dialect];
      const ownFile = join(dir, 'control.token');
      const traceFile = join(dir, 'trace.txt');
      const peer = await TcpPeer.start();
      const emulator = await startEmulator(['--dialect', dialect, '--trace', traceFile, ...(way === 'token-file' ? ['--token-file', ownFile] : [])]);
      try {
        assert.equal(emulator.control.host, '127.0.0.1');
        const tokenFile = way === 'token-file' ? ownFile : join(RUNTIME_DIR, 'a76xx', `control-${emulator.control.port}.token`);
        assert.equal(emulator.control.tokenFile, tokenFile);
        assert.equal(readFileSync(tokenFile, 'utf8').trim(), emulator.control.token);
        assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
        const host = await attachHost(emulator.tcpPort);
        const relay = await timingRelay(emulator.control.port);
        t.after(() => relay.close());
        const control = `127.0.0.1:${relay.port}`;
        let lastCtl: CtlRun | undefined;
        const vars = { TCP_PORT: peer.port, SERVER_PORT: await freePort('tcp') };
        await runTranscript(host.port, loadTranscript(join(TRANSCRIPTS, `${dialect}.txt`), vars), {
          timeoutMs: 5000,
          actions: {
            ...peerActions({ tcp: peer }),
            api: async ([verb, ...words]) => {
              const client = new ControlClient({ host: '127.0.0.1', port: emulator.control.port, token: emulator.control.token });
              await client.invoke(verb as string, wordsToArgs(verbNamed(verb as string).params, words));
            },
            ctl: async (words) => {
              const token = emulator.control.token;
              const how = way === 'token-file' ? ['--token-file', tokenFile] : way === 'flag' ? ['--token', token] : [];
              const env = way === 'env' ? { ...process.env, A76XX_CONTROL_TOKEN: token } : process.env;
              lastCtl = await ctl(['--control', control, ...how, ...words], env);
              assert.equal(lastCtl.code, 0, `a76xx ctl ${words.join(' ')}: ${lastCtl.stderr}`);
              const result: unknown = JSON.parse(lastCtl.stdout);
              assert.ok(typeof result === 'object' && result !== null, 'the verb\'s JSON result on stdout');
            },
            // The URC is on the AT port within a second of the request reaching the emulator (and
            // before the ctl process has even finished).
            'urc-in-time': () => {
              const run = lastCtl as CtlRun;
              const requestAt = relay.requests[relay.requests.length - 1] as number;
              const urc = host.arrivals.find((a) => a.at >= run.spawnedAt && a.bytes.includes('NETWORK CLOSED UNEXPECTEDLY'));
              assert.ok(urc !== undefined, 'the URC arrived');
              assert.ok(urc.at - requestAt < 1000, `URC ${urc.at - requestAt} ms after the request`);
              assert.ok(urc.at <= run.exitedAt + 100, `URC at +${urc.at - run.spawnedAt} ms, ctl done at +${run.exitedAt - run.spawnedAt} ms`);
              t.diagnostic(
                `network-loss: URC ${urc.at - requestAt} ms after the request, ${urc.at - run.spawnedAt} ms after spawning a76xx ctl ` +
                  `(its whole run: ${run.exitedAt - run.spawnedAt} ms)`,
              );
            },
          },
        });
        host.socket.destroy();
        emulator.cli.child.kill('SIGTERM');
        assert.equal((await exitOf(emulator.cli)).code, 0);
        assert.ok(!existsSync(tokenFile), 'the token file is removed on exit');
        // The trace replays: it holds the same exchange, in transcript format.
        const trace = readFileSync(traceFile, 'utf8');
        assert.match(trace, /NETWORK CLOSED UNEXPECTEDLY/);
        assert.ok(parseTranscript(trace).length > 20);
      } finally {
        emulator.cli.dispose();
        peer.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('a76xx ctl fails clearly: no server, bad token, no token, bad verb, bad args, a refused verb: each its message and exit code', TIMEOUT, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'a76xx-e2e-ctl-'));
    const tokenFile = join(dir, 'control.token');
    const emulator = await startEmulator(['--token-file', tokenFile, '--no-boot-urcs']);
    try {
      const control = `127.0.0.1:${emulator.control.port}`;
      const closed = await freePort('tcp');
      const env = { ...process.env, XDG_RUNTIME_DIR: dir, A76XX_CONTROL_TOKEN: '' };
      const cases: [readonly string[], number, RegExp, NodeJS.ProcessEnv?][] = [
        [['--control', `127.0.0.1:${closed}`, '--token', 'x', 'status'], 3, /no control server at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/],
        [['--control', control, '--token', 'wrong', 'status'], 4, /refused the token/],
        [['--control', control, 'status'], 3, new RegExp(`no token: cannot read ${dir}/a76xx/control-${emulator.control.port}\\.token \\(no such file\\)`), env],
        [['--control', control, '--token-file', tokenFile, 'frobnicate'], 2, /unknown verb 'frobnicate' \(known: status, network-loss/],
        [['--control', control, '--token-file', tokenFile, 'csq', '42'], 2, /csq: rssi must be an integer 0-31 or 99, not "42"/],
        [['--control', control, '--token-file', tokenFile, 'close-link', '3'], 1, /close-link: link 3 is not open/],
      ];
      const runs = await Promise.all(cases.map(([args, , , e]) => ctl(args, e)));
      runs.forEach((run, i) => {
        const [args, code, message] = cases[i] as (typeof cases)[number];
        assert.equal(run.code, code, `ctl ${args.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, message, `ctl ${args.join(' ')}`);
        assert.equal(run.stdout, '');
      });
    } finally {
      emulator.cli.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
