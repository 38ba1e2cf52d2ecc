import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable, Writable } from 'node:stream';
import { runConsole } from '../../src/cli/console.js';
import { runDoctorCli } from '../../src/cli/doctor.js';
import { runFetch } from '../../src/cli/fetch.js';
import { serveEmulator, TEST_GUARD_MS, within } from './support/emulated.js';

const T = { timeout: 20_000 };

function sink(): { stream: Writable; text: () => string; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _e, cb) {
        chunks.push(chunk);
        cb();
      },
    }),
    text: () => Buffer.concat(chunks).toString('latin1'),
    bytes: () => Buffer.concat(chunks),
  };
}

async function startWeb(body: Buffer): Promise<{ port: number; close: () => void }> {
  const server = http.createServer((req, res) => {
    if (req.url === '/missing') {
      res.statusCode = 404;
      res.end('no such page');
      return;
    }
    res.setHeader('x-seen-header', String(req.headers['x-test'] ?? ''));
    res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

test('fetch: a page from a loopback HTTP server through the emulator; -i, -H; 404 exits 1; https refused', T, async () => {
  const body = randomBytes(80_000);
  const web = await startWeb(body);
  const emulator = await serveEmulator({ hosts: { 'web.test': '127.0.0.1' } });
  try {
    for (const mode of ['push', 'buffer', 'transparent'] as const) {
      const out = sink();
      const err = sink();
      const code = await within(runFetch(`http://web.test:${web.port}/page`, { device: emulator.device, mode, timeout: 5_000, guard: TEST_GUARD_MS }, { stdout: out.stream, stderr: err.stream }), 10_000, 'fetch');
      assert.equal(err.text(), '', mode);
      assert.equal(code, 0, mode);
      assert.ok(out.bytes().equals(body), `${mode}: body byte-exact`);
    }
    const out = sink();
    const code = await runFetch(`http://web.test:${web.port}/page`, { device: emulator.device, mode: 'buffer', timeout: 5_000, include: true, header: ['X-Test: yes'] }, { stdout: out.stream, stderr: sink().stream });
    assert.equal(code, 0);
    assert.match(out.text(), /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(out.text(), /\r\nx-seen-header: yes\r\n/);
    const missing = sink();
    const err = sink();
    assert.equal(await runFetch(`http://web.test:${web.port}/missing`, { device: emulator.device, mode: 'push', timeout: 5_000 }, { stdout: missing.stream, stderr: err.stream }), 1);
    assert.equal(missing.text(), 'no such page');
    assert.equal(err.text(), 'a76xx fetch: HTTP 404 Not Found\n');
    const tls = sink();
    assert.equal(await runFetch('https://web.test/', { device: emulator.device, mode: 'push', timeout: 5_000 }, { stdout: sink().stream, stderr: tls.stream }), 1);
    assert.equal(tls.text(), 'a76xx fetch: only http:// URLs are supported, not https:\n');
  } finally {
    await emulator.close();
    web.close();
  }
});

test('doctor: every step ok on a healthy module; the socket service is left as found', T, async () => {
  const emulator = await serveEmulator();
  try {
    const out = sink();
    const code = await within(runDoctorCli({ device: emulator.device, timeout: 5_000 }, { stdout: out.stream, stderr: sink().stream }), 10_000, 'doctor');
    const lines = out.text().split('\n');
    assert.equal(lines[0], `a76xx doctor: ${emulator.device}`);
    assert.deepEqual(
      lines.slice(1, 10).map((l) => l.trim().split(/\s+/).slice(0, 2).join(' ')),
      ['ok AT', 'ok SIM', 'ok signal', 'ok radio', 'ok CS', 'ok PS', 'ok cell', 'ok network', 'ok IP'],
    );
    assert.match(out.text(), /ok {4}signal {4}\+CSQ: 20,99 \(-73 dBm\)/);
    assert.match(out.text(), /ok {4}IP {8}\+IPADDR: 10\.148\.0\.17/);
    assert.match(out.text(), /verdict: ready for TCP\/IP \(9 ok, 0 warnings, 0 failed\)\n$/);
    assert.equal(code, 0);
    assert.notEqual(emulator.emulator.state.ip.net, 'open', 'NETCLOSE sent after the check');
  } finally {
    await emulator.close();
  }
});

test('doctor: no SIM fails (exit 1); a SIM PIN is entered with --pin; a silent port is exit 2', T, async () => {
  const absent = await serveEmulator({ config: { sim: { state: 'absent' } } });
  try {
    const out = sink();
    const code = await within(runDoctorCli({ device: absent.device, timeout: 5_000, simWait: 200 }, { stdout: out.stream, stderr: sink().stream }), 10_000, 'doctor');
    assert.equal(code, 1);
    assert.match(out.text(), /fail {2}SIM {7}\+CME ERROR: SIM not inserted \(check the SIM card\)/);
    assert.match(out.text(), /skip {2}network/);
    assert.match(out.text(), /verdict: not ready/);
  } finally {
    await absent.close();
  }
  const locked = await serveEmulator({ config: { sim: { state: 'pin', pin: '4321' } } });
  try {
    const out = sink();
    const code = await within(runDoctorCli({ device: locked.device, timeout: 5_000, pin: '4321', keepOpen: true }, { stdout: out.stream, stderr: sink().stream }), 10_000, 'doctor');
    assert.match(out.text(), /ok {4}SIM {7}\+CPIN: READY \(PIN entered\)/);
    assert.equal(code, 0, out.text());
    assert.equal(locked.emulator.state.ip.net, 'open', '--keep-open');
  } finally {
    await locked.close();
  }
  const { createServer } = await import('node:net');
  const silent = createServer((s) => s.on('error', () => {}));
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  try {
    const out = sink();
    const code = await within(runDoctorCli({ device: `tcp://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeout: 5_000 }, { stdout: out.stream, stderr: sink().stream }), 10_000, 'doctor');
    assert.equal(code, 2);
    assert.match(out.text(), /fail {2}AT {8}no answer to AT \(3 tries\)/);
  } finally {
    silent.close();
  }
});

test('console: piped lines are sent one answer at a time; URCs and the CIPSEND prompt show; exit 0', T, async () => {
  const emulator = await serveEmulator();
  try {
    // A first session opens the network: its async +NETOPEN: 0 comes while the console waits for quiet.
    const first = sink();
    const opening = Readable.from([Buffer.from('AT+NETOPEN\n')]);
    assert.equal(await within(runConsole({ device: emulator.device, timeout: 5_000, idle: 200, lineTimeout: 500 }, { stdin: opening, stdout: first.stream, stderr: sink().stream }), 5_000, 'console'), 0);
    assert.equal(first.text(), 'AT+NETOPEN\r\r\nOK\r\n\r\n+NETOPEN: 0\r\n');
    const out = sink();
    const lines = ['ATE0', 'AT+CIPSEND=0,5', 'stray', 'AT', 'AT+CIPOPEN=1,"UDP",,,0', 'AT+CIPSEND=1,5,"127.0.0.1",9', 'hello', 'AT+CSQ'];
    const stdin = Readable.from([Buffer.from(`${lines.join('\n')}\n`)]);
    const code = await within(runConsole({ device: emulator.device, timeout: 5_000, idle: 200, lineTimeout: 500 }, { stdin, stdout: out.stream, stderr: sink().stream }), 10_000, 'console');
    assert.equal(code, 0);
    const expected = [
      'ATE0\r\r\nOK\r\n',
      // No link 0: refused without a prompt; the next line is then a stray line the module ignores.
      '\r\n+CIPERROR: 4\r\n\r\nERROR\r\n',
      '\r\nOK\r\n',
      '\r\n+CIPOPEN: 1,0\r\n\r\nOK\r\n',
      // The prompt: the next line is the data, sent without <CR>.
      '\r\n>\r\nOK\r\n',
      '\r\n+CIPSEND: 1,5,5\r\n',
      '\r\n+CSQ: 20,99\r\n\r\nOK\r\n',
    ];
    let at = 0;
    for (const part of expected) {
      const found = out.text().indexOf(part, at);
      assert.ok(found >= 0, `${JSON.stringify(part)} after ${at} in ${JSON.stringify(out.text())}`);
      at = found + part.length;
    }
    assert.equal(at, out.text().length, JSON.stringify(out.text()));
  } finally {
    await emulator.close();
  }
});

test('console --raw: bytes unchanged both ways; a device that goes away is exit 1', T, async () => {
  const emulator = await serveEmulator();
  try {
    const out = sink();
    const stdin = Readable.from([Buffer.from('AT\r')]);
    const code = await within(runConsole({ device: emulator.device, timeout: 5_000, idle: 200, lineTimeout: 1_000, raw: true }, { stdin, stdout: out.stream, stderr: sink().stream }), 5_000, 'console');
    assert.equal(code, 0);
    assert.equal(out.text(), 'AT\r\r\nOK\r\n');
    const err = sink();
    const pending = runConsole({ device: emulator.device, timeout: 5_000, idle: 200, lineTimeout: 1_000 }, { stdin: new PassThrough(), stdout: sink().stream, stderr: err.stream });
    await new Promise((r) => setTimeout(r, 100));
    await emulator.close();
    assert.equal(await within(pending, 5_000, 'console'), 1);
    assert.equal(err.text(), 'a76xx console: the device went away\n');
  } finally {
    await emulator.close();
  }
});
