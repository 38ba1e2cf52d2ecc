import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, connect, type Socket } from 'node:net';
import { lstat, mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { DIALECTS } from '../../src/emulator/dialect.js';
import { parseHostEntry, parseReadyLine, parseTcpAddress } from '../../src/cli/emulate.js';
import { ByteCollector } from './bytes.js';
import { exitOf, spawnCli, type CliProcess } from './spawn-cli.js';
import { socketPort } from './host-ports.js';
import { peerActions, TcpPeer } from '../support/peers.js';
import { loadTranscript, runTranscript } from '../support/transcript-runner.js';

/** Every test is bounded, whatever goes wrong. */
const TIMEOUT_MS = 60000;

async function withCli(args: readonly string[], body: (cli: CliProcess) => Promise<void>): Promise<void> {
  const cli = spawnCli(args);
  try {
    await body(cli);
  } finally {
    cli.dispose();
  }
}

async function connectTo(port: number): Promise<{ socket: Socket; received: ByteCollector; closed: Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port });
  const received = new ByteCollector();
  socket.on('data', received.push);
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received, closed };
}

function tcpPortOf(endpoint: Awaited<ReturnType<CliProcess['ready']>>): number {
  assert.equal(endpoint.kind, 'tcp');
  return endpoint.kind === 'tcp' ? endpoint.port : -1;
}

const bootBytes = (urcs: readonly string[]): string => urcs.map((line) => `\r\n${line}\r\n`).join('');

test('ready lines read back', { timeout: TIMEOUT_MS }, () => {
  assert.deepEqual(parseReadyLine('a76xx emulator ready: tcp 127.0.0.1:7070'), { kind: 'tcp', host: '127.0.0.1', port: 7070 });
  assert.deepEqual(parseReadyLine('a76xx emulator ready: tcp [::1]:7070'), { kind: 'tcp', host: '::1', port: 7070 });
  assert.deepEqual(parseReadyLine('a76xx emulator ready: pty /dev/pts/5'), { kind: 'pty', path: '/dev/pts/5', link: undefined });
  assert.deepEqual(parseReadyLine('a76xx emulator ready: pty /dev/pts/5 (link /tmp/a 76xx)'), { kind: 'pty', path: '/dev/pts/5', link: '/tmp/a 76xx' });
  assert.deepEqual(parseReadyLine('a76xx emulator ready: stdio'), { kind: 'stdio' });
  assert.equal(parseReadyLine('something else'), undefined);
});

test('--tcp and --host values', { timeout: TIMEOUT_MS }, () => {
  assert.deepEqual(parseTcpAddress('7070'), { host: '127.0.0.1', port: 7070 });
  assert.deepEqual(parseTcpAddress('0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseTcpAddress(':7070'), { host: '127.0.0.1', port: 7070 });
  assert.deepEqual(parseTcpAddress('0.0.0.0:7070'), { host: '0.0.0.0', port: 7070 });
  assert.deepEqual(parseTcpAddress('localhost:1'), { host: 'localhost', port: 1 });
  assert.deepEqual(parseTcpAddress('[::1]:7070'), { host: '::1', port: 7070 });
  for (const bad of ['', 'x', '70000', '1.2.3.4:', '::1:7070', '7070:1.2.3.4', '-1']) assert.throws(() => parseTcpAddress(bad), /\[HOST:\]PORT/, bad);
  const two = parseHostEntry('b.test=10.0.0.2', parseHostEntry('a.test=127.0.0.1', undefined));
  assert.deepEqual([...two], [['a.test', '127.0.0.1'], ['b.test', '10.0.0.2']]);
  for (const bad of ['a.test', 'a.test=', '=1.2.3.4', 'a.test=::1', 'a.test=300.1.1.1']) assert.throws(() => parseHostEntry(bad, undefined), /NAME=IPv4/, bad);
});

test('cli: a76xx --help names the emulate subcommand; emulate --help documents every flag', { timeout: TIMEOUT_MS }, async () => {
  await withCli(['--help'], async (cli) => {
    assert.equal((await exitOf(cli)).code, 0);
    assert.match(cli.stdout.bytes.toString(), /emulate/);
  });
  await withCli(['emulate', '--help'], async (cli) => {
    assert.equal((await exitOf(cli)).code, 0);
    const help = cli.stdout.bytes.toString();
    for (const flag of ['--tcp [[HOST:]PORT]', '--pty [LINK]', '--stdio', '--host <NAME=IP>', '--hosts-only', '--dialect <name>', '--no-boot-urcs', '--trace', '--help']) {
      assert.ok(help.includes(flag), `help mentions ${flag}`);
    }
    for (const dialect of Object.keys(DIALECTS)) assert.ok(help.includes(dialect), `help mentions dialect ${dialect}`);
    assert.match(help, /a76xx emulator ready: tcp 127\.0\.0\.1:7070/);
  });
});

test('cli: bad flags fail with a clear message and a non-zero exit', { timeout: TIMEOUT_MS }, async () => {
  const cases: [string[], RegExp][] = [
    [['emulate', '--bogus'], /unknown option '--bogus'/],
    [['emulate', '--tcp', 'nope'], /--tcp .*argument 'nope' is invalid/],
    [['emulate', '--tcp', '70000'], /--tcp .*is invalid/],
    [['emulate', '--tcp', '0', '--stdio'], /cannot be used with/],
    [['emulate', '--pty', '--stdio'], /cannot be used with/],
    [['emulate', '--dialect', 'nokia'], /Allowed choices are a76xx, app-note, sim7600/],
    [['emulate', '--host', 'example.com'], /expected NAME=IPv4/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ];
  // Two at a time: each CLI compiles its sources through tsx, and eight at once on two loaded
  // cores can take longer than any sane bound.
  for (let i = 0; i < cases.length; i += 2) {
    await Promise.all(
      cases.slice(i, i + 2).map(([args, message]) =>
        withCli(args, async (cli) => {
          const { code } = await exitOf(cli, 30_000);
          assert.notEqual(code, 0, args.join(' '));
          assert.match(cli.stderr.bytes.toString(), message, args.join(' '));
          assert.equal(cli.stdout.bytes.length, 0, 'nothing on stdout');
        }),
      ),
    );
  }
});

test('cli: --tcp serves AT on 127.0.0.1, prints the ready line, exits 0 on SIGTERM', { timeout: TIMEOUT_MS }, async () => {
  await withCli(['emulate', '--tcp', '0', '--no-boot-urcs'], async (cli) => {
    const endpoint = await cli.ready();
    assert.equal(endpoint.kind === 'tcp' && endpoint.host, '127.0.0.1');
    assert.match(cli.stdout.bytes.toString(), /^a76xx emulator ready: tcp 127\.0\.0\.1:\d+\n$/);
    const host = await connectTo(tcpPortOf(endpoint));
    host.socket.write('AT\r');
    assert.equal((await host.received.contains('OK\r\n')).toString('latin1'), 'AT\r\r\nOK\r\n');
    cli.child.kill('SIGTERM');
    assert.deepEqual(await exitOf(cli), { code: 0, signal: null });
    await host.closed;
  });
});

test('cli: the first TCP host sees the boot URCs, a later one does not; --dialect picks them; SIGINT/SIGHUP exit 0', { timeout: TIMEOUT_MS }, async () => {
  for (const dialect of ['a76xx', 'sim7600'] as const) {
    await withCli(['emulate', '--tcp', '0', '--dialect', dialect], async (cli) => {
      const port = tcpPortOf(await cli.ready());
      const first = await connectTo(port);
      const boot = bootBytes(DIALECTS[dialect].bootUrcs);
      assert.equal((await first.received.until((b) => b.length >= boot.length)).toString('latin1'), boot);
      first.socket.destroy();
      await first.closed;
      const second = await connectTo(port);
      second.socket.write('AT\r');
      assert.equal((await second.received.contains('OK\r\n')).toString('latin1'), 'AT\r\r\nOK\r\n');
      cli.child.kill(dialect === 'a76xx' ? 'SIGINT' : 'SIGHUP');
      assert.equal((await exitOf(cli)).code, 0);
    });
  }
});

test('cli: --host and --hosts-only feed the host table; sockets reach the test peer (transcript over TCP)', { timeout: TIMEOUT_MS }, async () => {
  const peer = await TcpPeer.start();
  try {
    await withCli(['emulate', '--tcp', '0', '--host', 'echo.test=127.0.0.1', '--hosts-only', '--no-boot-urcs'], async (cli) => {
      const host = await connectTo(tcpPortOf(await cli.ready()));
      const steps = loadTranscript(join(import.meta.dirname, 'transcripts/host-table-over-tcp.txt'), { TCP_PORT: peer.port });
      await runTranscript(socketPort(host.socket), steps, { actions: peerActions({ tcp: peer }) });
      cli.child.kill('SIGTERM');
      assert.equal((await exitOf(cli)).code, 0);
    });
  } finally {
    peer.close();
  }
});

test('cli: --pty prints the device and link; a serial port opens it repeatedly; SIGINT exits 0 and removes the link', { skip: process.platform === 'win32', timeout: TIMEOUT_MS }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'a76xx-cli-'));
  const link = join(dir, 'modem');
  try {
    await withCli(['emulate', '--pty', link, '--no-boot-urcs'], async (cli) => {
      const endpoint = await cli.ready();
      assert.ok(endpoint.kind === 'pty');
      assert.equal(endpoint.link, link);
      assert.match(cli.stdout.bytes.toString(), new RegExp(`^a76xx emulator ready: pty /dev/\\S+ \\(link ${link.replace(/[/.]/g, '\\$&')}\\)\\n$`));
      assert.equal(await readlink(link), endpoint.path);
      for (let round = 0; round < 5; round++) {
        const port = new SerialPort({ path: round % 2 === 0 ? endpoint.path : link, baudRate: 115200, autoOpen: false });
        const received = new ByteCollector();
        port.on('data', received.push);
        await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
        port.write('AT\r');
        assert.equal((await received.contains('OK\r\n')).toString('latin1'), 'AT\r\r\nOK\r\n', `round ${round}`);
        await new Promise<void>((resolve, reject) => port.close((err) => (err ? reject(err) : resolve())));
      }
      cli.child.kill('SIGINT');
      assert.equal((await exitOf(cli)).code, 0);
      await assert.rejects(lstat(link), { code: 'ENOENT' });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('cli: --stdio speaks on stdin/stdout, ready line on stderr, exits 0 when stdin ends', { timeout: TIMEOUT_MS }, async () => {
  await withCli(['emulate', '--stdio', '--no-boot-urcs'], async (cli) => {
    assert.deepEqual(await cli.ready(), { kind: 'stdio' });
    cli.child.stdin.write('AT\r');
    await cli.stdout.contains('OK\r\n');
    cli.child.stdin.end('ATE0\r');
    assert.deepEqual(await exitOf(cli), { code: 0, signal: null });
    // Stdout is the AT port and nothing else; the answer to the last line got out before the exit.
    assert.equal(cli.stdout.bytes.toString('latin1'), 'AT\r\r\nOK\r\nATE0\r\r\nOK\r\n');
  });
});

test('cli: --stdio lets an asynchronous completion out after stdin ends', { timeout: TIMEOUT_MS }, async () => {
  await withCli(['emulate', '--stdio', '--no-boot-urcs'], async (cli) => {
    await cli.ready();
    cli.child.stdin.end('ATE0\rAT+NETOPEN\r');
    assert.equal((await exitOf(cli)).code, 0);
    assert.equal(cli.stdout.bytes.toString('latin1'), 'ATE0\r\r\nOK\r\n\r\nOK\r\n\r\n+NETOPEN: 0\r\n');
  });
});

test('cli: --stdio prints the boot URCs first unless --no-boot-urcs', { timeout: TIMEOUT_MS }, async () => {
  await withCli(['emulate', '--stdio'], async (cli) => {
    await cli.ready();
    cli.child.stdin.end();
    assert.equal((await exitOf(cli)).code, 0);
    assert.equal(cli.stdout.bytes.toString('latin1'), bootBytes(DIALECTS.a76xx.bootUrcs));
  });
});

test('cli: --trace logs the AT port as transcript lines on stderr', { timeout: TIMEOUT_MS }, async () => {
  await withCli(['emulate', '--stdio', '--no-boot-urcs', '--trace'], async (cli) => {
    await cli.ready();
    cli.child.stdin.end('AT\r');
    assert.equal((await exitOf(cli)).code, 0);
    const log = cli.stderr.bytes.toString();
    assert.match(log, /^>> AT\\r$/m);
    assert.match(log, /^<< .*OK\\r\\n$/m);
  });
});

test('cli: a port in use is a clear error, exit 1', { timeout: TIMEOUT_MS }, async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = blocker.address() as AddressInfo;
  try {
    await withCli(['emulate', '--tcp', `127.0.0.1:${port}`], async (cli) => {
      assert.equal((await exitOf(cli)).code, 1);
      assert.match(cli.stderr.bytes.toString(), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`));
    });
  } finally {
    blocker.close();
  }
});

test('cli: binding anything but loopback prints a warning first', { timeout: TIMEOUT_MS }, async () => {
  // 192.0.2.1 (TEST-NET-1) is no address of this machine: the bind fails, nothing is ever sent.
  await withCli(['emulate', '--tcp', '192.0.2.1:9'], async (cli) => {
    assert.equal((await exitOf(cli)).code, 1);
    const err = cli.stderr.bytes.toString();
    assert.match(err, /warning: listening on 192\.0\.2\.1:9, not loopback[^\n]*\n[^]*cannot listen on 192\.0\.2\.1:9/);
  });
  // With PORT 0 the warning waits for the port it got (test/e2e/cli-newcomer.test.ts); a failed bind says why.
  await withCli(['emulate', '--tcp', '192.0.2.1:0'], async (cli) => {
    assert.equal((await exitOf(cli)).code, 1);
    const err = cli.stderr.bytes.toString();
    assert.match(err, /cannot listen on 192\.0\.2\.1:0: not an address of this machine/);
    assert.doesNotMatch(err, /listening on 192\.0\.2\.1:0/);
  });
});
