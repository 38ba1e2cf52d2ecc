import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { escapeBytes } from '../../src/at/escape.js';
import { parseTranscript } from '../../src/at/transcript.js';
import { RX_BUFFER_LIMIT } from '../../src/emulator/links.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { freePort, peerActions, PEER_WAIT_MS, TcpPeer, UdpPeer } from '../support/peers.js';
import { modemPort, runTranscript } from '../support/transcript-runner.js';
import { Wakeup } from '../support/wakeup.js';

/**
 * Socket behaviour over the real network backend that is easier to generate than to write out:
 * every byte value both ways, ten links at once, bulk transfers with back-pressure.
 * Everything talks to loopback peers this file starts.
 */

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

interface Rig {
  modem: EmulatedModem;
  tcp: TcpPeer;
  udp: UdpPeer;
  vars: Record<string, number>;
}

async function withRig(body: (rig: Rig) => Promise<void>): Promise<void> {
  const tcp = await TcpPeer.start();
  const udp = await UdpPeer.start();
  const vars = { TCP_PORT: tcp.port, UDP_PORT: udp.port, LOCAL_UDP_PORT: await freePort('udp') };
  const modem = new EmulatedModem({ config: { bootUrcs: false }, network: new RealNetwork({ staticOnly: true }) });
  try {
    await body({ modem, tcp, udp, vars });
  } finally {
    modem.reboot();
    tcp.close();
    udp.close();
  }
}

/** A transcript built in code (payloads too long or too binary to write by hand). */
async function play(rig: Rig, lines: readonly string[]): Promise<void> {
  const steps = parseTranscript(lines.join('\n'), rig.vars);
  await runTranscript(modemPort(rig.modem), steps, { actions: peerActions({ tcp: rig.tcp, udp: rig.udp }) });
}

/** Bytes as transcript text (`>>`/`<<` lines). */
const raw = (bytes: Uint8Array): string => escapeBytes(bytes);
/** Bytes as an action argument: the runner splits on whitespace, so spaces are escaped too. */
const arg = (bytes: Uint8Array): string => escapeBytes(bytes).replace(/ /g, '\\x20');

const OPEN_SERVICE = ['> ATE0', '<< ATE0\\r', '< OK', '@echo off', '> AT+NETOPEN', '< OK', '< +NETOPEN: 0'];
const OPEN_TCP_1 = ['> AT+CIPOPEN=1,"TCP","127.0.0.1",${TCP_PORT}', '< OK', '< +CIPOPEN: 1,0', '! tcp-accept'];

/** ETX-escape the bytes that end or cancel a variable-length send (spec §2.2.4). */
function etxEscape(bytes: Buffer): Buffer {
  const out: number[] = [];
  for (const b of bytes) {
    if (b === 0x03 || b === 0x1a || b === 0x1b) out.push(0x03);
    out.push(b);
  }
  return Buffer.from(out);
}

test('TCP carries every byte value both ways, in push and buffer modes', () =>
  withRig((rig) =>
    play(rig, [
      ...OPEN_SERVICE,
      ...OPEN_TCP_1,
      // host → peer, fixed length
      '> AT+CIPSEND=1,256',
      '<< \\r\\n>',
      `>> ${raw(ALL_BYTES)}`,
      '< OK',
      '< +CIPSEND: 1,256,256',
      `! tcp-expect ${arg(ALL_BYTES)}`,
      // host → peer, Ctrl-Z terminated with ETX escapes
      '> AT+CIPSEND=1',
      '<< \\r\\n>',
      `>> ${raw(etxEscape(ALL_BYTES))}\\x1A`,
      '< OK',
      '< +CIPSEND: 1,256,256',
      `! tcp-expect ${arg(ALL_BYTES)}`,
      // peer → host, pushed
      `! tcp-send ${arg(ALL_BYTES)}`,
      '< RECV FROM:127.0.0.1:${TCP_PORT}',
      '<+ +IPD256',
      `<< ${raw(ALL_BYTES)}`,
      // peer → host, buffered, raw and hex
      '> AT+CIPRXGET=1',
      '< OK',
      `! tcp-send ${arg(ALL_BYTES)}`,
      '< +CIPRXGET: 1,1',
      '> AT+CIPRXGET=2,1',
      '< +CIPRXGET: 2,1,256,0',
      `<< ${raw(ALL_BYTES)}\\r\\n`,
      '< OK',
      `! tcp-send ${arg(ALL_BYTES)}`,
      '< +CIPRXGET: 1,1',
      '> AT+CIPRXGET=3,1',
      '< +CIPRXGET: 3,1,256,0',
      `<+ ${ALL_BYTES.toString('hex').toUpperCase()}`,
      '< OK',
      '> AT+CIPCLOSE=1',
      '< OK',
      '< +CIPCLOSE: 1,0',
    ]),
  ));

test('UDP carries every byte value both ways, in push and buffer modes', () =>
  withRig((rig) =>
    play(rig, [
      ...OPEN_SERVICE,
      '> AT+CIPOPEN=1,"UDP",,,${LOCAL_UDP_PORT}',
      '< +CIPOPEN: 1,0',
      '< OK',
      '> AT+CIPSEND=1,256,"127.0.0.1",${UDP_PORT}',
      '<< \\r\\n>',
      `>> ${raw(ALL_BYTES)}`,
      '< OK',
      '< +CIPSEND: 1,256,256',
      `! udp-expect ${arg(ALL_BYTES)}`,
      '> AT+CIPSEND=1,,"127.0.0.1",${UDP_PORT}',
      '<< \\r\\n>',
      `>> ${raw(etxEscape(ALL_BYTES))}\\x1A`,
      '< OK',
      '< +CIPSEND: 1,256,256',
      `! udp-expect ${arg(ALL_BYTES)}`,
      `! udp-send \${LOCAL_UDP_PORT} ${arg(ALL_BYTES)}`,
      '< RECV FROM:127.0.0.1:${UDP_PORT}',
      '<+ +IPD256',
      `<< ${raw(ALL_BYTES)}`,
      '> AT+CIPRXGET=1',
      '< OK',
      `! udp-send \${LOCAL_UDP_PORT} ${arg(ALL_BYTES)}`,
      '< +CIPRXGET: 1,1',
      '> AT+CIPRXGET=2,1',
      '< +CIPRXGET: 2,1,256,0',
      `<< ${raw(ALL_BYTES)}\\r\\n`,
      '< OK',
      '> AT+CIPCLOSE=1',
      '< +CIPCLOSE: 1,0',
      '< OK',
    ]),
  ));

test('a Ctrl-Z send longer than 1500 bytes is refused with +CIPERROR: 3; 1500 goes through', () =>
  withRig((rig) => {
    const max = Buffer.alloc(1500, 0x61);
    return play(rig, [
      ...OPEN_SERVICE,
      ...OPEN_TCP_1,
      '> AT+CIPSEND=1',
      '<< \\r\\n>',
      `>> ${raw(Buffer.alloc(1501, 0x62))}\\x1A`,
      '< +CIPERROR: 3',
      '< ERROR',
      '> AT+CIPSEND=1',
      '<< \\r\\n>',
      `>> ${raw(max)}\\x1A`,
      '< OK',
      '< +CIPSEND: 1,1500,1500',
      `! tcp-expect ${arg(max)}`,
    ]);
  }));

/** The host side of the AT port, parsing what the module prints. */
class Host {
  private buffer = Buffer.alloc(0);
  private readonly wakeup = new Wakeup();

  constructor(private readonly modem: EmulatedModem) {
    modem.on('output', (bytes: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, bytes]);
      this.wakeup.wake();
    });
  }

  send(text: string | Buffer): void {
    this.modem.input(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  }

  private async waitFor(length: number, ms = PEER_WAIT_MS): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.buffer.length < length) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`host: timed out waiting for ${length} bytes, have ${JSON.stringify(escapeBytes(this.buffer))}`);
      await this.wakeup.next(left);
    }
  }

  /** The next bytes must be `text`. */
  async expect(text: string): Promise<void> {
    const want = Buffer.from(text, 'latin1');
    await this.waitFor(want.length);
    const got = this.buffer.subarray(0, want.length);
    assert.equal(escapeBytes(got), escapeBytes(want));
    this.buffer = this.buffer.subarray(want.length);
  }

  async take(length: number): Promise<Buffer> {
    await this.waitFor(length);
    const got = Buffer.from(this.buffer.subarray(0, length));
    this.buffer = this.buffer.subarray(length);
    return got;
  }

  /** The next `<CR><LF>line<CR><LF>`. */
  async line(): Promise<string> {
    await this.expect('\r\n');
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end >= 0) {
        const text = this.buffer.subarray(0, end).toString('latin1');
        this.buffer = this.buffer.subarray(end + 2);
        return text;
      }
      await this.waitFor(this.buffer.length + 1);
    }
  }

  /** ATE0, whose own echo still comes back. */
  async echoOff(): Promise<void> {
    this.send('ATE0\r');
    await this.expect('ATE0\r\r\nOK\r\n');
  }

  async command(line: string, ...response: string[]): Promise<void> {
    this.send(`${line}\r`);
    for (const expected of response) assert.equal(await this.line(), expected, `answer to ${line}`);
  }
}

test('ten links carry data independently; an eleventh link number is refused', () =>
  withRig(async ({ modem, tcp }) => {
    const host = new Host(modem);
    await host.echoOff();
    await host.command('AT+NETOPEN', 'OK', '+NETOPEN: 0');
    // HeaderType 1 names the link of every pushed block; no RECV FROM line.
    await host.command('AT+CIPCCFG=10,0,0,1,1,0,500', 'OK');
    await host.command('AT+CIPSRIP=0', 'OK');
    for (let link = 0; link < 10; link++) {
      await host.command(`AT+CIPOPEN=${link},"TCP","127.0.0.1",${tcp.port}`, 'OK', `+CIPOPEN: ${link},0`);
    }
    await host.command(`AT+CIPOPEN=10,"TCP","127.0.0.1",${tcp.port}`, '+IP ERROR: Invalid parameter', 'ERROR');
    await host.command('AT+CIPCLOSE?', '+CIPCLOSE: 1,1,1,1,1,1,1,1,1,1', 'OK');

    // Each link introduces itself; the peer learns which connection is which link.
    for (let link = 0; link < 10; link++) {
      const hello = Buffer.from(`link ${link} says hello`.padEnd(20 + link, '.'));
      host.send(`AT+CIPSEND=${link},${hello.length}\r`);
      await host.expect('\r\n>');
      host.send(hello);
      assert.equal(await host.line(), 'OK');
      assert.equal(await host.line(), `+CIPSEND: ${link},${hello.length},${hello.length}`);
    }
    const byLink = new Map<number, Awaited<ReturnType<TcpPeer['connection']>>>();
    for (let n = 0; n < 10; n++) {
      const connection = await tcp.connection(n);
      const head = (await connection.take(20)).toString('latin1');
      const link = Number(/^link (\d) says hello/.exec(head)?.[1]);
      await connection.take(link); // the padding
      assert.equal(byLink.has(link), false, `two connections claim link ${link}`);
      byLink.set(link, connection);
    }
    assert.equal(byLink.size, 10);

    // Every connection answers with its own payload, all at once.
    const replies = new Map<number, Buffer>();
    for (const [link, connection] of byLink) {
      const reply = randomBytes(100 + link * 37);
      replies.set(link, reply);
      await connection.send(reply);
    }
    const got = new Map<number, Buffer>();
    while ([...got.values()].reduce((n, b) => n + b.length, 0) < [...replies.values()].reduce((n, b) => n + b.length, 0)) {
      const header = /^\+RECEIVE,(\d),(\d+)$/.exec(await host.line());
      assert.ok(header, 'a +RECEIVE header');
      const link = Number(header[1]);
      const data = await host.take(Number(header[2]));
      got.set(link, Buffer.concat([got.get(link) ?? Buffer.alloc(0), data]));
    }
    for (const [link, reply] of replies) assert.ok(got.get(link)?.equals(reply), `link ${link} got its own reply`);

    for (let link = 0; link < 10; link++) await host.command(`AT+CIPCLOSE=${link}`, 'OK', `+CIPCLOSE: ${link},0`);
    for (const connection of byLink.values()) await connection.waitClosed();
  }));

test('a large TCP download in push mode arrives whole, in blocks of at most 1500 bytes', () =>
  withRig(async ({ modem, tcp }) => {
    const host = new Host(modem);
    await host.echoOff();
    await host.command('AT+NETOPEN', 'OK', '+NETOPEN: 0');
    await host.command('AT+CIPSRIP=0', 'OK');
    await host.command(`AT+CIPOPEN=1,"TCP","127.0.0.1",${tcp.port}`, 'OK', '+CIPOPEN: 1,0');
    const payload = randomBytes(200_000);
    const connection = await tcp.connection(0);
    void connection.send(payload);
    const parts: Buffer[] = [];
    let total = 0;
    while (total < payload.length) {
      const header = /^\+IPD(\d+)$/.exec(await host.line());
      assert.ok(header, 'an +IPD header');
      const length = Number(header[1]);
      assert.ok(length >= 1 && length <= 1500, `block of ${length} bytes`);
      parts.push(await host.take(length));
      total += length;
    }
    assert.ok(Buffer.concat(parts).equals(payload));
  }));

test('a large TCP download in buffer mode: the buffer stays bounded, nothing is lost', () =>
  withRig(async ({ modem, tcp }) => {
    const host = new Host(modem);
    await host.echoOff();
    await host.command('AT+NETOPEN', 'OK', '+NETOPEN: 0');
    await host.command('AT+CIPRXGET=1', 'OK');
    await host.command(`AT+CIPOPEN=1,"TCP","127.0.0.1",${tcp.port}`, 'OK', '+CIPOPEN: 1,0');
    const payload = randomBytes(1_000_000);
    const connection = await tcp.connection(0);
    void connection.send(payload);
    await new Promise((r) => setTimeout(r, 200)); // let the module fill up
    const parts: Buffer[] = [];
    let total = 0;
    let largest = 0;
    const deadline = Date.now() + 30_000;
    while (total < payload.length) {
      assert.ok(Date.now() < deadline, `read ${total} of ${payload.length} bytes in time`);
      host.send('AT+CIPRXGET=2,1,1500\r');
      let line = await host.line();
      while (line === '+CIPRXGET: 1,1') line = await host.line(); // notification before the answer
      if (line === '+IP ERROR: No data') {
        assert.equal(await host.line(), 'ERROR');
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const header = /^\+CIPRXGET: 2,1,(\d+),(\d+)$/.exec(line);
      assert.ok(header, `a read header, got ${line}`);
      const length = Number(header[1]);
      largest = Math.max(largest, length + Number(header[2]));
      parts.push(await host.take(length));
      await host.expect('\r\n\r\nOK\r\n');
      total += length;
    }
    assert.ok(Buffer.concat(parts).equals(payload), 'the bytes arrive intact and in order');
    // Back-pressure: the socket is paused at the limit; one socket read (≤ 64 KiB) may overshoot.
    assert.ok(largest <= RX_BUFFER_LIMIT + 65536, `buffer peaked at ${largest} bytes`);
    assert.ok(largest >= RX_BUFFER_LIMIT, `buffer reached the limit (${largest} bytes)`);
  }));

test('a large TCP upload: 200 sends of 1500 bytes arrive whole and in order', () =>
  withRig(async ({ modem, tcp }) => {
    const host = new Host(modem);
    await host.echoOff();
    await host.command('AT+NETOPEN', 'OK', '+NETOPEN: 0');
    await host.command(`AT+CIPOPEN=1,"TCP","127.0.0.1",${tcp.port}`, 'OK', '+CIPOPEN: 1,0');
    const payload = randomBytes(300_000);
    for (let at = 0; at < payload.length; at += 1500) {
      host.send('AT+CIPSEND=1,1500\r');
      await host.expect('\r\n>');
      host.send(payload.subarray(at, at + 1500));
      assert.equal(await host.line(), 'OK');
      assert.equal(await host.line(), '+CIPSEND: 1,1500,1500');
    }
    const connection = await tcp.connection(0);
    assert.ok((await connection.take(payload.length, 10_000)).equals(payload));
    await host.command('AT+CIPACK=1', `+CIPACK: ${payload.length},${payload.length},0`, 'OK');
  }));
