import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { SerialPort } from 'serialport';
import { escapeBytes } from '../../src/at/escape.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { servePty } from '../../src/emulator/serve/pty.js';
import { serveTcp } from '../../src/emulator/serve/tcp.js';
import { TcpPeer } from '../support/peers.js';
import { Wakeup } from '../support/wakeup.js';

/**
 * Output in bursts, as a UART delivers it (issue 11 item 9): a real module sends a reply — its
 * information lines, its data and its final result code — back to back, so a host whose UART
 * driver hands over bytes after an idle gap reads it whole (ESP-IDF's esp_modem depends on it).
 * Here the host takes one read per reply, over TCP and over a real PTY, and every reply must be in
 * it whole: `+CIPRXGET: 2,…` with its data and `OK`; the `>` prompt; `OK` with the `+CIPSEND:`
 * behind it. Loopback peers only.
 */

const TIMEOUT_MS = 30000;
const WAIT_MS = 3000;
const skipPty = process.platform === 'win32' ? 'no pseudo-terminals on Windows' : false;
const PAYLOAD = Buffer.from(Array.from({ length: 1500 }, (_, i) => 0x20 + (i % 90)));

/**
 * The reads of a host, one by one. `gapMs` > 0 joins chunks that arrive less than that apart, as
 * a UART driver hands over bytes after an idle gap (a PTY's line discipline may cut one write into
 * several reads on a busy machine; TCP is read strictly, one data event per reply).
 */
class Reads {
  private readonly queue: Buffer[] = [];
  private readonly wakeup = new Wakeup();

  constructor(private readonly gapMs = 0) {}

  readonly push = (bytes: Buffer): void => {
    this.queue.push(bytes);
    this.wakeup.wake();
  };

  /** The next read as it came. */
  async next(): Promise<Buffer> {
    const deadline = Date.now() + WAIT_MS;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no read');
      await this.wakeup.next(left);
    }
    let read = this.queue.shift() as Buffer;
    while (this.gapMs > 0) {
      await new Promise((r) => setTimeout(r, this.gapMs));
      if (this.queue.length === 0) break;
      read = Buffer.concat([read, ...this.queue.splice(0)]);
    }
    return read;
  }

  /** Put the rest of a read back: it holds more than one reply (bursts that queued up together). */
  unshift(bytes: Buffer): void {
    if (bytes.length > 0) this.queue.unshift(bytes);
  }

  /** Nothing more arrives within `ms`. */
  async quiet(ms = 50): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    assert.deepEqual(this.queue.map((b) => escapeBytes(b)), [], 'further reads');
  }
}

async function conversation(write: (bytes: string | Buffer) => void, reads: Reads, peerPort: number, peer: TcpPeer): Promise<void> {
  /**
   * One command, one read: it starts with the whole `expected` reply. (It may hold more: bursts
   * that queued up meanwhile, such as a URC written right behind, go out in the same write.)
   */
  const exchange = async (line: string | Buffer, expected: string | Buffer): Promise<void> => {
    write(line);
    const got = await reads.next();
    const want = typeof expected === 'string' ? Buffer.from(expected, 'latin1') : expected;
    assert.equal(escapeBytes(got.subarray(0, want.length)), escapeBytes(want), `the reply to ${JSON.stringify(escapeBytes(Buffer.from(line)))} in one read`);
    reads.unshift(got.subarray(want.length));
  };
  // Echo is a write of its own (as typed); with it off, every reply is one write.
  write('ATE0\r');
  let echoed = '';
  while (!echoed.endsWith('\r\nOK\r\n')) echoed += (await reads.next()).toString('latin1');
  await exchange('AT+CIPRXGET=1\r', '\r\nOK\r\n');
  await exchange('AT+NETOPEN\r', '\r\nOK\r\n');
  assert.equal((await reads.next()).toString('latin1'), '\r\n+NETOPEN: 0\r\n');
  await exchange(`AT+CIPOPEN=0,"TCP","127.0.0.1",${peerPort}\r`, '\r\nOK\r\n');
  assert.equal((await reads.next()).toString('latin1'), '\r\n+CIPOPEN: 0,0\r\n');
  const connection = await peer.connection(0);
  await connection.send(PAYLOAD);
  assert.equal((await reads.next()).toString('latin1'), '\r\n+CIPRXGET: 1,0\r\n');
  // The read answer: header, 1500 bytes of data and OK, in one read.
  await exchange(
    'AT+CIPRXGET=2,0,1500\r',
    Buffer.concat([Buffer.from('\r\n+CIPRXGET: 2,0,1500,0\r\n'), PAYLOAD, Buffer.from('\r\n\r\nOK\r\n')]),
  );
  await exchange('AT+CIPSEND=0,5\r', '\r\n>');
  await exchange('HELLO', '\r\nOK\r\n\r\n+CIPSEND: 0,5,5\r\n');
  await reads.quiet();
}

test('tcp: a host taking one read per reply gets every reply whole', { timeout: TIMEOUT_MS }, async () => {
  const peer = await TcpPeer.start();
  const modem = new EmulatedModem({ config: { bootUrcs: false }, network: new RealNetwork({ staticOnly: true }) });
  const endpoint = await serveTcp(modem, { port: 0 });
  const socket = connect({ host: '127.0.0.1', port: endpoint.port });
  socket.on('error', () => {});
  const reads = new Reads();
  socket.on('data', reads.push);
  try {
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    await conversation((b) => socket.write(b), reads, peer.port, peer);
  } finally {
    socket.destroy();
    await endpoint.close();
    modem.reboot();
    peer.close();
  }
});

test('pty: a host taking one read per reply gets every reply whole', { skip: skipPty, timeout: TIMEOUT_MS }, async () => {
  const peer = await TcpPeer.start();
  const modem = new EmulatedModem({ config: { bootUrcs: false }, network: new RealNetwork({ staticOnly: true }) });
  const endpoint = await servePty(modem);
  const port = new SerialPort({ path: endpoint.path, baudRate: 115200, autoOpen: false });
  // An idle gap of 2 ms, far below the time between replies here (each waits for the host).
  const reads = new Reads(2);
  port.on('data', reads.push);
  try {
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    await conversation((b) => port.write(b), reads, peer.port, peer);
  } finally {
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    await endpoint.close();
    modem.reboot();
    peer.close();
  }
});
