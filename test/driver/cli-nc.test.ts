import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createSocket } from 'node:dgram';
import { PassThrough, Readable, Writable } from 'node:stream';
import { runNc, type NcOptions } from '../../src/cli/nc.js';
import type { SocketMode } from '../../src/driver/link-user.js';
import { serveEmulator, startTcpServer, TEST_GUARD_MS, within } from './support/emulated.js';

const T = { timeout: 20_000 };

function sink(): { stream: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _e, cb) {
        chunks.push(chunk);
        cb();
      },
    }),
    bytes: () => Buffer.concat(chunks),
  };
}

function options(device: string, mode: SocketMode, extra: Partial<NcOptions> = {}): NcOptions {
  return { device, mode, idle: 300, timeout: 5_000, guard: TEST_GUARD_MS, ...extra };
}

for (const mode of ['buffer', 'transparent'] as const satisfies readonly SocketMode[]) {
  test(`nc [${mode}]: 1 MiB of random bytes through an echo server come back byte-exact; exit 0`, T, async () => {
    const echo = await startTcpServer();
    const emulator = await serveEmulator({ hosts: { 'echo.test': '127.0.0.1' } });
    try {
      const data = randomBytes(1 << 20);
      const out = sink();
      const err = sink();
      const code = await within(
        runNc('echo.test', echo.port, options(emulator.device, mode), { stdin: Readable.from([data]), stdout: out.stream, stderr: err.stream }),
        15_000,
        'nc',
      );
      assert.equal(err.bytes().toString(), '');
      assert.equal(code, 0);
      assert.equal(out.bytes().length, data.length);
      assert.ok(out.bytes().equals(data), 'byte-exact');
    } finally {
      await emulator.close();
      await echo.close();
    }
  });
}

test('nc: the peer closing first ends it with 0 after its last bytes', T, async () => {
  const peer = await startTcpServer((s) => s.end('goodbye\n'));
  const emulator = await serveEmulator();
  try {
    const stdin = new PassThrough(); // never ends: the peer's close is what ends the session
    const out = sink();
    const code = await within(runNc('127.0.0.1', peer.port, options(emulator.device, 'push'), { stdin, stdout: out.stream, stderr: sink().stream }), 10_000, 'nc');
    assert.equal(code, 0);
    assert.equal(out.bytes().toString(), 'goodbye\n');
  } finally {
    await emulator.close();
    await peer.close();
  }
});

for (const mode of ['push', 'buffer'] as const satisfies readonly SocketMode[]) {
  test(`nc --udp [${mode}]: stdin as datagrams of at most 1400 bytes; answers to stdout`, T, async () => {
    const peer = createSocket('udp4');
    const sizes: number[] = [];
    peer.on('message', (msg, from) => {
      sizes.push(msg.length);
      peer.send(msg, from.port, from.address);
    });
    peer.bind(0, '127.0.0.1');
    await once(peer, 'listening');
    const emulator = await serveEmulator({ hosts: { 'udp.test': '127.0.0.1' } });
    try {
      const data = randomBytes(3000);
      const out = sink();
      const code = await within(
        runNc('udp.test', peer.address().port, options(emulator.device, mode, { udp: true }), { stdin: Readable.from([data]), stdout: out.stream, stderr: sink().stream }),
        10_000,
        'nc',
      );
      assert.equal(code, 0);
      assert.deepEqual(sizes, [1400, 1400, 200]);
      assert.ok(out.bytes().equals(data), 'datagrams back in order');
    } finally {
      await emulator.close();
      peer.close();
    }
  });
}

test('nc: errors give a message and exit 1 (refused, unknown name, no device, UDP in transparent mode)', T, async () => {
  const closed = await startTcpServer();
  const port = closed.port;
  await closed.close();
  const emulator = await serveEmulator();
  try {
    const run = async (host: string, p: number, o: NcOptions): Promise<[number, string]> => {
      const err = sink();
      const code = await within(runNc(host, p, o, { stdin: Readable.from([]), stdout: sink().stream, stderr: err.stream }), 10_000, 'nc');
      return [code, err.bytes().toString()];
    };
    const [c1, m1] = await run('127.0.0.1', port, options(emulator.device, 'push'));
    assert.equal(c1, 1);
    assert.match(m1, /^a76xx nc: connect ECONNREFUSED 127\.0\.0\.1:\d+: AT\+CIPOPEN=9,"TCP","127\.0\.0\.1",\d+: err 1 Network failure/);
    const [c2, m2] = await run('nowhere.test', 80, options(emulator.device, 'push'));
    assert.equal(c2, 1);
    assert.match(m2, /^a76xx nc: lookup nowhere\.test: not resolved by the module \(DNS error 10\)/);
    const [c3, m3] = await run('127.0.0.1', 80, options('tcp://127.0.0.1:1', 'push'));
    assert.equal(c3, 1);
    assert.match(m3, /^a76xx nc: .*ECONNREFUSED/);
    const [c4, m4] = await run('127.0.0.1', 80, options(emulator.device, 'transparent', { udp: true }));
    assert.equal(c4, 1);
    assert.match(m4, /--udp needs --mode push or buffer/);
  } finally {
    await emulator.close();
  }
});
