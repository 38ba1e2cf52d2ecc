import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseControlReadyLine } from '../../src/control/http-server.js';
import { ByteCollector } from '../e2e/bytes.js';
import { exitOf, spawnCli, type CliProcess } from '../e2e/spawn-cli.js';
import { TcpPeer } from '../support/peers.js';
import { isLoopbackAddress, parseProcNet, procAvailable, socketsOf, TCP_LISTEN } from './proc-sockets.js';

/**
 * Security defaults of a spawned `a76xx emulate`: every socket it listens on (the AT port, the
 * control API, the module's TCP servers) and every UDP socket it binds is on loopback unless
 * configured otherwise — read from the kernel's own tables (/proc), not from what the program
 * says. The control API's token is required on every request (this file checks one request;
 * test/control/http-api.test.ts checks them all). And `--allow` end to end.
 */
const TIMEOUT = { timeout: 40_000 };
const linux = procAvailable();

const RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'a76xx-security-'));
after(() => rmSync(RUNTIME_DIR, { recursive: true, force: true }));

test('the /proc socket tables are read right', () => {
  const v4 = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1B9E 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0 100 0 0 10 0',
    '   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4243 1 0 100 0 0 10 0',
  ].join('\n');
  assert.deepEqual(parseProcNet('tcp', v4, true), [
    { proto: 'tcp', address: '127.0.0.1', port: 7070, state: '0A', inode: 4242 },
    { proto: 'tcp', address: '0.0.0.0', port: 80, state: '0A', inode: 4243 },
  ]);
  const v6 = [
    '  sl  local_address                         remote_address                        st ...',
    '   0: 00000000000000000000000001000000:1B9E 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1 0',
    '   1: 0000000000000000FFFF00000100007F:1B9F 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 2 1 0',
    '   2: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 3 1 0',
  ].join('\n');
  assert.deepEqual(
    parseProcNet('tcp6', v6, true).map((s) => s.address),
    ['::1', '::ffff:127.0.0.1', '::'],
  );
  assert.deepEqual(
    ['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1', '0.0.0.0', '::', '10.0.0.1', '::ffff:10.0.0.1'].map(isLoopbackAddress),
    [true, true, true, true, false, false, false, false],
  );
});

/** A host on a spawned emulator's AT port. */
class AtSession {
  readonly received = new ByteCollector();
  private constructor(readonly socket: Socket) {
    socket.on('data', this.received.push);
    socket.on('error', () => {});
  }

  static open(port: number): Promise<AtSession> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(new AtSession(socket)));
      socket.once('error', reject);
    });
  }

  /** Send a command line; resolve with what came back once it contains `until`. */
  async command(line: string, until: string): Promise<string> {
    this.received.clear();
    this.socket.write(`${line}\r`);
    return (await this.received.contains(until, 5000)).toString('latin1');
  }
}

async function startEmulator(extra: readonly string[]): Promise<{ cli: CliProcess; at: AtSession; atPort: number }> {
  const cli = spawnCli(['emulate', '--tcp', '0', '--no-boot-urcs', '--hosts-only', ...extra]);
  const ready = await cli.ready(20_000);
  if (ready.kind !== 'tcp') throw new Error(`not served on TCP: ${JSON.stringify(ready)}`);
  const at = await AtSession.open(ready.port);
  await at.command('ATE0', 'OK\r\n');
  await at.command('AT+NETOPEN', '+NETOPEN: 0\r\n');
  return { cli, at, atPort: ready.port };
}

// The two spawned emulators (the built CLI: `npm run build` first, as npm test does) start side by side.
describe('spawned emulators', { concurrency: true }, () => {
  test('every listening socket and UDP socket of `a76xx emulate --control` is on loopback', { ...TIMEOUT, skip: !linux && 'needs Linux /proc' }, async () => {
    const tokenFile = join(RUNTIME_DIR, 'control.token');
    const { cli, at, atPort } = await startEmulator(['--control', '0', '--token-file', tokenFile]);
    try {
      const control = parseControlReadyLine(/a76xx control ready: [^\n]*/.exec(cli.stdout.bytes.toString('latin1'))?.[0] ?? '');
      assert.ok(control !== undefined, 'the control ready line');
      await at.command('AT+SERVERSTART=0,0', 'OK\r\n');
      await at.command('AT+SERVERSTART=0,3', 'OK\r\n');
      const servers = [...(await at.command('AT+SERVERSTART?', 'OK\r\n')).matchAll(/\+SERVERSTART: \d,(\d+)/g)].map((m) => Number(m[1]));
      assert.equal(servers.length, 2);
      await at.command('AT+CIPOPEN=0,"UDP",,,0', 'OK\r\n');
      await at.command('AT+CIPOPEN=1,"UDPSERVER",,,0', 'OK\r\n');

      const sockets = socketsOf(cli.child.pid as number);
      const listening = sockets.filter((s) => s.proto.startsWith('tcp') && s.state === TCP_LISTEN);
      assert.deepEqual(
        listening.map((s) => s.port).sort((a, b) => a - b),
        [atPort, control.port, ...servers].sort((a, b) => a - b),
        'the AT port, the control API and the two servers listen, nothing else',
      );
      const udp = sockets.filter((s) => s.proto.startsWith('udp'));
      assert.equal(udp.length, 2, 'the two UDP links');
      for (const s of [...listening, ...udp]) assert.ok(isLoopbackAddress(s.address), `${s.proto} ${s.address}:${s.port} is not loopback`);

      // The control API answers nothing without its token (all of it: test/control/http-api.test.ts).
      const response = await fetch(`${control.url}/v1`, { signal: AbortSignal.timeout(5000) });
      assert.equal(response.status, 401);
    } finally {
      at.socket.destroy();
      cli.child.kill('SIGTERM');
      await exitOf(cli).catch(() => cli.dispose());
    }
  });

  test('`a76xx emulate --allow`: listed destinations connect, others fail as unreachable and are logged', TIMEOUT, async () => {
    const allowed = await TcpPeer.start();
    const other = await TcpPeer.start(); // would accept: only the list keeps the module out
    const unknownName = spawnCli(['emulate', '--tcp', '0', '--allow', 'nowhere.test']);
    const { cli, at } = await startEmulator(['--host', 'peer.test=127.0.0.1', '--allow', `peer.test:${allowed.port}`]);
    try {
      assert.match(await at.command(`AT+CIPOPEN=0,"TCP","127.0.0.1",${allowed.port}`, '+CIPOPEN: 0,'), /\+CIPOPEN: 0,0\r\n/);
      assert.match(await at.command(`AT+CIPOPEN=1,"TCP","127.0.0.1",${other.port}`, '+CIPOPEN: 1,'), /\+CIPOPEN: 1,1\r\n/);
      await cli.stderr.contains(`refused a connection to 127.0.0.1:${other.port}: not in --allow`, 5000);
      await allowed.connection(0);
      assert.equal(other.connections.length, 0, 'nothing reached the other server');

      // A name that is not in the static host table is a bad flag.
      assert.equal((await exitOf(unknownName, 30_000)).code, 1);
      assert.match(unknownName.stderr.bytes.toString(), /--allow nowhere\.test: nowhere\.test is not in the static host table/);
    } finally {
      at.socket.destroy();
      cli.child.kill('SIGTERM');
      unknownName.dispose();
      await exitOf(cli).catch(() => cli.dispose());
      allowed.close();
      other.close();
    }
  });
});
