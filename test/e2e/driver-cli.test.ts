import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { exitOf, spawnCli, type CliProcess } from './spawn-cli.js';

/**
 * The driver-side CLI tools as a user runs them: `a76xx emulate --tcp` in one process, `a76xx nc`,
 * `fetch`, `doctor` and `console` in others, against servers this test starts on 127.0.0.1 (names
 * through the emulator's --host table).
 */

const T = { timeout: 30_000 };

async function listen(server: Server | http.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function withEmulator(body: (device: string) => Promise<void>): Promise<void> {
  const emulator = spawnCli(['emulate', '--tcp', '127.0.0.1:0', '--host', 'echo.test=127.0.0.1', '--host', 'web.test=127.0.0.1', '--hosts-only']);
  try {
    const endpoint = await emulator.ready();
    assert.equal(endpoint.kind, 'tcp');
    if (endpoint.kind !== 'tcp') return;
    await body(`tcp://127.0.0.1:${endpoint.port}`);
  } finally {
    emulator.dispose();
  }
}

/** Run a CLI to its end with `input` on stdin; stdout and stderr as collected. */
async function run(args: readonly string[], input: Buffer | string, timeoutMs = 20_000): Promise<{ code: number | null; stdout: Buffer; stderr: string; cli: CliProcess }> {
  const cli = spawnCli(args);
  const chunks: Buffer[] = [];
  cli.child.stdout.removeAllListeners('data');
  cli.child.stdout.on('data', (c: Buffer) => chunks.push(c));
  cli.child.stdin.on('error', () => {});
  cli.child.stdin.end(input);
  try {
    const { code } = await exitOf(cli, timeoutMs);
    return { code, stdout: Buffer.concat(chunks), stderr: cli.stderr.bytes.toString(), cli };
  } finally {
    cli.dispose();
  }
}

test('e2e: printf … | a76xx nc returns 1 MiB of random bytes byte-exact through the emulator and an echo server (push, transparent)', T, async () => {
  const sockets = new Set<Socket>();
  const echo = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.pipe(s);
  });
  const port = await listen(echo);
  try {
    await withEmulator(async (device) => {
      for (const mode of ['push', 'transparent']) {
        const data = randomBytes(1 << 20);
        const started = Date.now();
        const result = await run(['nc', '--device', device, '--mode', mode, '--idle', '500', 'echo.test', String(port)], data);
        assert.equal(result.stderr, '', mode);
        assert.equal(result.code, 0, mode);
        assert.equal(result.stdout.length, data.length, mode);
        assert.ok(result.stdout.equals(data), `${mode}: byte-exact`);
        assert.ok(Date.now() - started < 15_000, `${mode}: ${Date.now() - started} ms`);
      }
      // Errors: a message and a non-zero exit.
      const refused = await run(['nc', '--device', device, '127.0.0.1', '1'], '');
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /^a76xx nc: connect ECONNREFUSED 127\.0\.0\.1:1: AT\+CIPOPEN=9,"TCP","127\.0\.0\.1",1: err 1/);
    });
  } finally {
    for (const s of sockets) s.destroy();
    echo.close();
  }
});

test('e2e: a76xx fetch gets a page from a loopback HTTP server through the emulator; a 404 exits 1', T, async () => {
  const body = randomBytes(100_000);
  const web = http.createServer((req, res) => {
    if (req.url === '/') res.end(body);
    else {
      res.statusCode = 404;
      res.end('missing');
    }
  });
  const port = await listen(web);
  try {
    await withEmulator(async (device) => {
      const ok = await run(['fetch', '--device', device, '--mode', 'buffer', `http://web.test:${port}/`], '');
      assert.equal(ok.stderr, '');
      assert.equal(ok.code, 0);
      assert.ok(ok.stdout.equals(body), 'byte-exact body');
      const missing = await run(['fetch', '--device', device, `http://web.test:${port}/nothing`], '');
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, 'a76xx fetch: HTTP 404 Not Found\n');
    });
  } finally {
    web.closeAllConnections();
    web.close();
  }
});

test('e2e: a76xx doctor passes on the emulator; a76xx console answers piped commands', T, async () => {
  await withEmulator(async (device) => {
    const doctor = await run(['doctor', '--device', device], '');
    assert.equal(doctor.code, 0, doctor.stdout.toString());
    assert.match(doctor.stdout.toString(), /verdict: ready for TCP\/IP \(9 ok, 0 warnings, 0 failed\)\n$/);
    const console = await run(['console', '--device', device, '--idle', '300'], 'ATE0\nAT+CSQ\n');
    assert.equal(console.code, 0, console.stderr);
    // Boot URCs may come first (the emulator prints them to its first host).
    assert.match(console.stdout.toString('latin1'), /ATE0\r\r\nOK\r\n\r\n\+CSQ: 20,99\r\n\r\nOK\r\n$/);
  });
});
