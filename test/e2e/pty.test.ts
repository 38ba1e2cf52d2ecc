import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, openSync, writeSync } from 'node:fs';
import { lstat, mkdtemp, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadStream } from 'node:tty';
import { SerialPort } from 'serialport';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { servePty, type PtyEndpoint } from '../../src/emulator/serve/pty.js';
import type { ModuleSide } from '../../src/emulator/serve/endpoint.js';
import { loadTranscript, runTranscript } from '../support/transcript-runner.js';
import { ALL_BYTES, ByteCollector, RecordingModule } from './bytes.js';
import { serialHostPort } from './host-ports.js';

const TRANSCRIPTS = join(import.meta.dirname, '../transcripts/engine');
/** Every test is bounded, whatever goes wrong. */
const TIMEOUT_MS = 20000;
const skip = process.platform === 'win32' ? 'no pseudo-terminals on Windows' : false;

interface OpenPort {
  readonly port: SerialPort;
  readonly received: ByteCollector;
  close(): Promise<void>;
}

/** Open the emulator's PTY the way a host program would: a serial port at 115200 8N1. */
async function openPort(path: string): Promise<OpenPort> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  const received = new ByteCollector();
  port.on('data', received.push);
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return {
    port,
    received,
    close: () => new Promise<void>((resolve, reject) => port.close((err) => (err ? reject(err) : resolve()))),
  };
}

async function withPty(module: ModuleSide, body: (endpoint: PtyEndpoint) => Promise<void>, link?: string): Promise<void> {
  const endpoint = await servePty(module, link === undefined ? {} : { link });
  try {
    await body(endpoint);
  } finally {
    await endpoint.close();
  }
}

test('pty: a real /dev/pts device answers AT with OK', { skip, timeout: TIMEOUT_MS }, async () => {
  await withPty(new EmulatedModem({ config: { bootUrcs: false } }), async (endpoint) => {
    assert.match(endpoint.path, /^\/dev\/(pts\/\d+|ttys\d+)$/);
    assert.equal(endpoint.description, `pty ${endpoint.path}`);
    const host = await openPort(endpoint.path);
    host.port.write('AT\r');
    assert.equal((await host.received.contains('OK\r\n')).toString('latin1'), 'AT\r\r\nOK\r\n');
    await host.close();
  });
});

test('pty: hosts open and close the port again and again; the module keeps its state', { skip, timeout: TIMEOUT_MS }, async () => {
  await withPty(new EmulatedModem({ config: { bootUrcs: false } }), async (endpoint) => {
    const first = await openPort(endpoint.path);
    first.port.write('ATE0\r');
    await first.received.contains('OK\r\n');
    await first.close();
    for (let round = 0; round < 25; round++) {
      const host = await openPort(endpoint.path);
      host.port.write('AT\r');
      assert.equal((await host.received.contains('OK\r\n')).toString('latin1'), '\r\nOK\r\n', `round ${round}`);
      await host.close();
    }
  });
});

test('pty: bytes 0x00-0xFF pass untouched both ways (raw slave: no echo, no CR/LF translation)', { skip, timeout: TIMEOUT_MS }, async () => {
  const module = new RecordingModule();
  await withPty(module, async (endpoint) => {
    const host = await openPort(endpoint.path);
    host.port.write(ALL_BYTES);
    assert.deepEqual(await module.fromHost.until((b) => b.length >= 256, 3000, '256 bytes at the module'), ALL_BYTES);
    module.print(ALL_BYTES);
    assert.deepEqual(await host.received.until((b) => b.length >= 256, 3000, '256 bytes at the host'), ALL_BYTES);
    // Nothing came back to the host by itself: the slave does not echo.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(host.received.bytes.length, 256);
    await host.close();
  });
});

test('pty: raw even for a host that sets no termios of its own (a plain open(), like cat or a bare C program)', { skip, timeout: TIMEOUT_MS }, async () => {
  const module = new RecordingModule();
  await withPty(module, async (endpoint) => {
    const fd = openSync(endpoint.path, constants.O_RDWR | constants.O_NOCTTY);
    const reader = new ReadStream(fd);
    const received = new ByteCollector();
    reader.on('data', received.push);
    try {
      // Line-discipline bait: CR, LF, ^C, ^Z, ^D, XON/XOFF, DEL, ^U, ^W, ^V, 0xFF.
      const bait = Buffer.from([0x41, 0x0d, 0x0a, 0x03, 0x1a, 0x04, 0x11, 0x13, 0x7f, 0x15, 0x17, 0x16, 0xff, 0x0a]);
      writeSync(fd, bait);
      assert.deepEqual(await module.fromHost.until((b) => b.length >= bait.length, 3000, 'the bait at the module'), bait);
      module.print(bait);
      assert.deepEqual(await received.until((b) => b.length >= bait.length, 3000, 'the bait at the host'), bait);
    } finally {
      reader.destroy();
    }
  });
});

test('pty: output nobody reads never blocks the process', { skip, timeout: TIMEOUT_MS }, async () => {
  const module = new RecordingModule();
  await withPty(module, async () => {
    // Far more than the PTY buffers: the rest queues or is dropped, and timers keep running.
    for (let i = 0; i < 400; i++) module.print(Buffer.alloc(4096, 0x41));
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(Date.now() - started < 1000, 'the event loop kept turning');
  });
});

test('pty: LINK is a symlink to the device while served, removed on close', { skip, timeout: TIMEOUT_MS }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'a76xx-pty-'));
  const link = join(dir, 'modem');
  try {
    const endpoint = await servePty(new EmulatedModem({ config: { bootUrcs: false } }), { link });
    assert.equal(endpoint.description, `pty ${endpoint.path} (link ${link})`);
    assert.equal(await readlink(link), endpoint.path);
    const host = await openPort(link);
    host.port.write('AT\r');
    await host.received.contains('OK\r\n');
    await host.close();
    await endpoint.close();
    await assert.rejects(lstat(link), { code: 'ENOENT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('pty: a stale symlink is replaced, a regular file is never clobbered', { skip, timeout: TIMEOUT_MS }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'a76xx-pty-'));
  try {
    const stale = join(dir, 'stale');
    await writeFile(join(dir, 'x'), '');
    await symlink('/nonexistent/pts/99', stale);
    await withPty(new EmulatedModem(), async (endpoint) => assert.equal(await readlink(stale), endpoint.path), stale);

    const file = join(dir, 'file');
    await writeFile(file, 'keep me');
    await assert.rejects(servePty(new EmulatedModem(), { link: file }), /exists and is not a symlink/);
    assert.ok((await lstat(file)).isFile());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('pty: the engine echo-and-framing transcript plays over a serial port', { skip, timeout: TIMEOUT_MS }, async () => {
  await withPty(new EmulatedModem({ config: { bootUrcs: false } }), async (endpoint) => {
    const host = await openPort(endpoint.path);
    await runTranscript(serialHostPort(host.port), loadTranscript(join(TRANSCRIPTS, 'echo-and-framing.txt')));
    await host.close();
  });
});
