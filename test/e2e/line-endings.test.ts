import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { LINE_TERMINATORS, type LineTerminator } from '../../src/at/transcript.js';
import { loseNetwork } from '../../src/emulator/links.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { servePty } from '../../src/emulator/serve/pty.js';
import { serveTcp } from '../../src/emulator/serve/tcp.js';
import type { ServedEndpoint } from '../../src/emulator/serve/endpoint.js';
import { freePort, peerActions, TcpPeer, UdpPeer } from '../support/peers.js';
import { loadTranscript, runTranscript, type HostPort } from '../support/transcript-runner.js';
import { ALL_BYTES, ByteCollector } from './bytes.js';
import { serialHostPort, socketPort } from './host-ports.js';

/**
 * Hosts that end lines with CR and hosts that end them with CR LF, over the TCP transport and a
 * real PTY opened with serialport: every engine transcript and the socket transcripts that send
 * data, both ways; and a CR LF host's CIPSEND through the PTY delivering every byte value.
 * Loopback peers only; every wait is bounded.
 */

const TIMEOUT_MS = 30000;
const skipPty = process.platform === 'win32' ? 'no pseudo-terminals on Windows' : false;
const TRANSCRIPTS = join(import.meta.dirname, '../transcripts');
const ENGINE = readdirSync(join(TRANSCRIPTS, 'engine')).filter((f) => f.endsWith('.txt')).sort();
const SOCKETS = ['tcp-push.txt', 'tcp-buffer.txt', 'udp-push.txt', 'send-forms.txt'];

type Transport = 'tcp' | 'pty';

/** Serve `modem` on `transport` and give `body` a host port onto it. */
async function withHost(modem: EmulatedModem, transport: Transport, body: (host: HostPort) => Promise<void>): Promise<void> {
  let endpoint: ServedEndpoint | undefined;
  let release: () => Promise<void> = async () => {};
  try {
    if (transport === 'tcp') {
      const tcp = await serveTcp(modem, { port: 0 });
      endpoint = tcp;
      const socket = connect({ host: '127.0.0.1', port: tcp.port });
      socket.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      release = async () => void socket.destroy();
      await body(socketPort(socket));
    } else {
      const pty = await servePty(modem);
      endpoint = pty;
      const port = new SerialPort({ path: pty.path, baudRate: 115200, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      release = () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
      await body(serialHostPort(port));
    }
  } finally {
    await release();
    await endpoint?.close();
  }
}

for (const transport of ['tcp', 'pty'] as const) {
  const skip = transport === 'pty' ? skipPty : false;
  for (const terminator of LINE_TERMINATORS) {
    test(`${transport}, lines ended with ${terminator}: every engine transcript`, { skip, timeout: TIMEOUT_MS }, async () => {
      for (const file of ENGINE) {
        const modem = new EmulatedModem({ config: { bootUrcs: false } });
        await withHost(modem, transport, async (host) => {
          await runTranscript(host, loadTranscript(join(TRANSCRIPTS, 'engine', file), {}, { terminator })).catch((err: Error) => {
            throw new Error(`${file}: ${err.message}`);
          });
        });
      }
    });

    test(`${transport}, lines ended with ${terminator}: the socket transcripts that send data`, { skip, timeout: TIMEOUT_MS }, async () => {
      for (const file of SOCKETS) await playSockets(file, transport, terminator);
    });
  }
}

async function playSockets(file: string, transport: Transport, terminator: LineTerminator): Promise<void> {
  const tcp = await TcpPeer.start();
  const udp = await UdpPeer.start();
  const vars = { TCP_PORT: tcp.port, UDP_PORT: udp.port, LOCAL_UDP_PORT: await freePort('udp'), CLOSED_PORT: await freePort('tcp') };
  const network = new RealNetwork({ hosts: new Map([['server.test', '127.0.0.1']]), staticOnly: true });
  const modem = new EmulatedModem({ config: { bootUrcs: false }, network });
  try {
    await withHost(modem, transport, async (host) => {
      const steps = loadTranscript(join(TRANSCRIPTS, 'sockets', file), vars, { terminator });
      await runTranscript(host, steps, {
        actions: { ...peerActions({ tcp, udp }), 'lose-network': () => loseNetwork(modem), reboot: () => modem.reboot() },
        timeoutMs: 5000,
      }).catch((err: Error) => {
        throw new Error(`${file}: ${err.message}`);
      });
    });
  } finally {
    modem.reboot();
    tcp.close();
    udp.close();
  }
}

test('pty: a host writing AT+CIPSEND=…\\r\\n gets every byte of its payload to the peer', { skip: skipPty, timeout: TIMEOUT_MS }, async () => {
  const tcp = await TcpPeer.start();
  const modem = new EmulatedModem({ config: { bootUrcs: false }, network: new RealNetwork({ staticOnly: true }) });
  const pty = await servePty(modem);
  const port = new SerialPort({ path: pty.path, baudRate: 115200, autoOpen: false });
  const received = new ByteCollector();
  port.on('data', received.push);
  try {
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    const say = async (line: string, until: string): Promise<void> => {
      received.clear();
      port.write(`${line}\r\n`);
      await received.contains(until);
    };
    await say('ATE0', 'OK\r\n');
    await say('AT+NETOPEN', '+NETOPEN: 0\r\n');
    await say(`AT+CIPOPEN=0,"TCP","127.0.0.1",${tcp.port}`, '+CIPOPEN: 0,0\r\n');
    const peer = await tcp.connection(0);
    // As TinyGSM does it: the command with CR LF, wait for the prompt, then the payload.
    await say(`AT+CIPSEND=0,${ALL_BYTES.length}`, '\r\n>');
    received.clear();
    port.write(ALL_BYTES);
    await peer.expect(ALL_BYTES);
    await received.contains(`+CIPSEND: 0,${ALL_BYTES.length},${ALL_BYTES.length}\r\n`);
    // As hosts that do not wait do it: command and payload in one write.
    received.clear();
    port.write(Buffer.concat([Buffer.from('AT+CIPSEND=0,5\r\n'), Buffer.from('HELLO')]));
    await peer.expect(Buffer.from('HELLO'));
    await received.contains('+CIPSEND: 0,5,5\r\n');
    await say('AT', 'OK\r\n');
    assert.equal(peer.unread.length, 0);
  } finally {
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    await pty.close();
    modem.reboot();
    tcp.close();
  }
});
