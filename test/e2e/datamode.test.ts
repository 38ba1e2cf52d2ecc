import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { servePty } from '../../src/emulator/serve/pty.js';
import { serveTcp } from '../../src/emulator/serve/tcp.js';
import { LINE_TERMINATORS, type LineTerminator } from '../../src/at/transcript.js';
import { loadTranscript, runTranscript, type HostPort } from '../support/transcript-runner.js';
import { GUARD_MS, rigSettingsOf, startPeers, startRig, type Peers } from '../emulator/datamode-rig.js';
import { serialHostPort, socketPort } from './host-ports.js';
import { exitOf, spawnCli } from './spawn-cli.js';

/**
 * Transparent mode and the TCP server end to end: the application-note transcripts over the TCP
 * transport, over a real PTY opened with serialport, and through the CLI (`a76xx emulate` with
 * --escape-guard and --port-offset). Guards, flushes and peers run in real time on loopback.
 */

/** Generous: CLI start-up under tsx on a busy machine takes seconds. */
const TIMEOUT_MS = 60000;
const TRANSCRIPTS = join(import.meta.dirname, '../transcripts');
const CASES = ['datamode/app-note-3.2.3-tcp-transparent.txt', 'server/app-note-3.4.1-tcp-server-transparent.txt'];
const skipPty = process.platform === 'win32' ? 'no pseudo-terminals on Windows' : false;

async function connectSocket(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

async function play(host: HostPort, file: string, peers: Peers, terminator: LineTerminator = 'cr'): Promise<void> {
  await runTranscript(host, loadTranscript(join(TRANSCRIPTS, file), peers.vars, { terminator }), { actions: peers.actions, timeoutMs: 5000 });
}

for (const file of CASES) for (const terminator of LINE_TERMINATORS) {
  test(`tcp transport (${terminator}): ${file}`, { timeout: TIMEOUT_MS }, async () => {
    const rig = await startRig(rigSettingsOf(join(TRANSCRIPTS, file)));
    const endpoint = await serveTcp(rig.modem, { port: 0 });
    try {
      const socket = await connectSocket(endpoint.port);
      await play(socketPort(socket), file, rig, terminator);
      socket.destroy();
    } finally {
      await endpoint.close();
      rig.close();
    }
  });

  test(`pty transport (${terminator}): ${file}`, { skip: skipPty, timeout: TIMEOUT_MS }, async () => {
    const rig = await startRig(rigSettingsOf(join(TRANSCRIPTS, file)));
    const endpoint = await servePty(rig.modem);
    const port = new SerialPort({ path: endpoint.path, baudRate: 115200, autoOpen: false });
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      await play(serialHostPort(port), file, rig, terminator);
    } finally {
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      await endpoint.close();
      rig.close();
    }
  });
}

test('cli: emulate --escape-guard --port-offset plays the transparent client and server transcripts', { timeout: TIMEOUT_MS }, async () => {
  const offset = 1000;
  const cli = spawnCli(['emulate', '--tcp', '0', '--no-boot-urcs', '--escape-guard', String(GUARD_MS), '--port-offset', String(offset)]);
  const peers = await startPeers({ portOffset: offset });
  try {
    const endpoint = await cli.ready();
    assert.equal(endpoint.kind, 'tcp');
    const socket = await connectSocket(endpoint.kind === 'tcp' ? endpoint.port : 0);
    const host = socketPort(socket);
    // One module, two exchanges: the server transcript starts with CIPMODE=1 + NETOPEN again,
    // so reset it in between.
    await play(host, 'datamode/app-note-3.2.3-tcp-transparent.txt', peers);
    await runTranscript(host, loadTranscript(join(TRANSCRIPTS, 'datamode/reset-between.txt')));
    await play(host, 'server/app-note-3.4.1-tcp-server-transparent.txt', peers);
    socket.destroy();
    cli.child.kill('SIGTERM');
    assert.equal((await exitOf(cli)).code, 0);
  } finally {
    cli.dispose();
    peers.close();
  }
});

test('cli: --listen-host beyond loopback warns; bad values are refused', { timeout: TIMEOUT_MS }, async () => {
  const cli = spawnCli(['emulate', '--tcp', '0', '--no-boot-urcs', '--listen-host', '0.0.0.0']);
  try {
    await cli.ready();
    assert.match(cli.stderr.bytes.toString(), /warning: the module's servers and UDP sockets listen on 0\.0\.0\.0, not loopback/);
    cli.child.kill('SIGTERM');
    assert.equal((await exitOf(cli)).code, 0);
  } finally {
    cli.dispose();
  }
  for (const args of [
    ['--listen-host', 'example.com'],
    ['--port-offset', '65536'],
    ['--escape-guard', 'soon'],
  ]) {
    const bad = spawnCli(['emulate', '--tcp', '0', ...args]);
    try {
      const { code } = await exitOf(bad);
      assert.notEqual(code, 0, args.join(' '));
      assert.match(bad.stderr.bytes.toString(), /error: option/, args.join(' '));
    } finally {
      bad.dispose();
    }
  }
});
