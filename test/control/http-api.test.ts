import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient, ControlClientError } from '../../src/control/client.js';
import { parseControlReadyLine, serveControl, controlReadyLine } from '../../src/control/http-server.js';
import { checkArgs, ControlError, wordsToArgs, type JsonValue } from '../../src/control/params.js';
import { ControlPlane } from '../../src/control/plane.js';
import { controlledModem } from '../../src/control/target.js';
import { defaultTokenPath, generateToken, readTokenFile, removeTokenFile, tokenMatches, writeTokenFile } from '../../src/control/token.js';
import { VERBS, verbNamed } from '../../src/control/verbs.js';
import { DIALECTS } from '../../src/emulator/dialect.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { fieldAt } from './rig.js';

const TIMEOUT = { timeout: 10_000 };

/** A raw request, for what the client never sends (no token, bad JSON, wrong method). */
function raw(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; json: Record<string, JsonValue> }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { Connection: 'close', ...headers }, agent: false });
    req.setTimeout(3000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.end(body);
  });
}

async function withServer(body: (ctx: { port: number; token: string; plane: ControlPlane; client: ControlClient }) => Promise<void>) {
  const plane = new ControlPlane();
  const a = controlledModem({ id: 'a', config: { bootUrcs: false }, network: new RealNetwork({ staticOnly: true }) });
  const b = controlledModem({ id: 'b', config: { bootUrcs: false, dialect: DIALECTS.sim7600 }, network: new RealNetwork({ staticOnly: true }) });
  plane.add(a);
  plane.add(b);
  const token = generateToken();
  const server = await serveControl(plane, { port: 0, token });
  assert.equal(server.host, '127.0.0.1', 'loopback unless asked');
  try {
    await body({ port: server.port, token, plane, client: new ControlClient({ host: '127.0.0.1', port: server.port, token, timeoutMs: 3000 }) });
  } finally {
    await server.close();
    for (const t of [a, b]) t.line.detach();
  }
}

test('http api: every request without the right token is refused with 401', TIMEOUT, async () => {
  await withServer(async ({ port, token }) => {
    const attempts: Record<string, string>[] = [{}, { Authorization: 'Bearer wrong' }, { Authorization: token }, { Authorization: `Basic ${token}` }];
    for (const headers of attempts) {
      for (const [method, path] of [['GET', '/v1'], ['POST', '/v1/modems/a/verbs/reboot'], ['GET', '/nowhere']] as const) {
        const { status, json } = await raw(port, method, path, headers);
        assert.equal(status, 401, `${method} ${path} ${JSON.stringify(headers)}`);
        assert.deepEqual(json, { ok: false, error: { code: 'unauthorized', message: 'missing or wrong token (Authorization: Bearer <token>)' } });
      }
    }
    const bad = new ControlClient({ host: '127.0.0.1', port, token: 'nope' });
    await assert.rejects(bad.status('a'), (err: ControlClientError) => err.code === 'unauthorized' && err.status === 401);
  });
});

test('http api: discovery, status, one modem or all of them', TIMEOUT, async () => {
  await withServer(async ({ port, token, client }) => {
    const auth = { Authorization: `Bearer ${token}` };
    const root = await raw(port, 'GET', '/v1', auth);
    assert.equal(root.status, 200);
    assert.deepEqual(root.json['modems'], ['a', 'b']);
    assert.deepEqual(root.json['verbs'], VERBS.map((v) => v.name));
    const verbs = (await raw(port, 'GET', '/v1/verbs', auth)).json['verbs'] as JsonValue[];
    const csq = verbs.find((v) => fieldAt(v, 'name') === 'csq');
    assert.equal(fieldAt(csq ?? null, 'usage'), 'csq RSSI [BER]');
    assert.deepEqual(fieldAt(csq ?? null, 'params.1.also'), [99]);
    const modems = (await raw(port, 'GET', '/v1/modems', auth)).json['modems'];
    assert.deepEqual(modems, [
      { id: 'a', dialect: 'a76xx', net: 'closed' },
      { id: 'b', dialect: 'sim7600', net: 'closed' },
    ]);
    const status = await raw(port, 'GET', '/v1/modems/b/status', auth);
    assert.equal(status.status, 200);
    assert.equal(fieldAt(status.json['result'] ?? null, 'dialect'), 'sim7600');

    assert.deepEqual(await client.invoke('csq', { rssi: 5 }, 'a'), { rssi: 5, ber: 99 });
    const all = await client.invoke('csq', { rssi: '7', ber: '1' }, 'all');
    assert.deepEqual(all, { a: { result: { rssi: 7, ber: 1 } }, b: { result: { rssi: 7, ber: 1 } } });
    // A verb that fails on one modem reports it there, the others still run.
    const closes = await client.invoke('close-link', { link: 0 }, 'all');
    assert.equal(fieldAt(closes, 'a.error.code'), 'conflict');
    assert.equal(fieldAt(closes, 'b.error.code'), 'conflict');
  });
});

test('http api: bad verbs, bad modems, bad arguments, bad JSON, wrong methods, big bodies', TIMEOUT, async () => {
  await withServer(async ({ port, token, client }) => {
    const auth = { Authorization: `Bearer ${token}` };
    const cases: [string, string, string | undefined, number, string][] = [
      ['POST', '/v1/modems/a/verbs/frobnicate', '{}', 404, 'unknown-verb'],
      ['POST', '/v1/modems/z/verbs/reboot', '{}', 404, 'unknown-modem'],
      ['POST', '/v1/modems/a/verbs/csq', '{"rssi":40}', 400, 'bad-args'],
      ['POST', '/v1/modems/a/verbs/csq', '{"rssi":4,"extra":1}', 400, 'bad-args'],
      ['POST', '/v1/modems/a/verbs/csq', '[4]', 400, 'bad-args'],
      ['POST', '/v1/modems/a/verbs/csq', '{"rssi":', 400, 'bad-request'],
      ['GET', '/v1/modems/a/verbs/reboot', undefined, 405, 'method-not-allowed'],
      ['POST', '/v1', '{}', 405, 'method-not-allowed'],
      ['GET', '/v2', undefined, 404, 'not-found'],
      ['GET', '/v1/modems/a/verbs', undefined, 404, 'not-found'],
      ['GET', '/v1/modems/%E0%A4%A/status', undefined, 400, 'bad-request'],
      ['POST', '/v1/modems/a/verbs/csq', JSON.stringify({ rssi: 1, pad: 'x'.repeat(70_000) }), 413, 'too-large'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const got = await raw(port, method, path, { ...auth, 'Content-Type': 'application/json' }, body);
      assert.equal(got.status, status, `${method} ${path}`);
      assert.equal(fieldAt(got.json['error'] ?? null, 'code'), code, `${method} ${path}`);
      assert.equal(got.json['ok'], false);
    }
    await assert.rejects(client.invoke('sim', { state: 'gone' }, 'a'), (err: ControlClientError) => err.code === 'refused' && err.serverCode === 'bad-args' && /ready, absent, pin, puk/.test(err.message));
    // The server still works after all that.
    assert.deepEqual(await client.invoke('dtr', { state: 'off' }, 'a'), { dtr: false });
  });
});

test('http api: a client with no server behind the port fails as unreachable, quickly', TIMEOUT, async () => {
  const plane = new ControlPlane();
  const server = await serveControl(plane, { port: 0, token: 't' });
  const port = server.port;
  await server.close();
  const client = new ControlClient({ host: '127.0.0.1', port, token: 't', timeoutMs: 2000 });
  await assert.rejects(client.status(), (err: ControlClientError) => err.code === 'unreachable' && /ECONNREFUSED/.test(err.message));
});

test('control plane in process: the same verbs without HTTP; unknown modems and verbs are errors', async () => {
  const plane = new ControlPlane();
  const target = controlledModem({ config: { bootUrcs: false } });
  plane.add(target);
  assert.throws(() => plane.add(controlledModem()), /already registered/);
  assert.throws(() => plane.add(controlledModem({ id: 'all' })), /bad modem id/);
  assert.deepEqual(await plane.invoke('0', 'csq', { rssi: 3 }), { modem: '0', verb: 'csq', result: { rssi: 3, ber: 99 } });
  await assert.rejects(plane.invoke('1', 'csq', { rssi: 3 }), (err: ControlError) => err.code === 'unknown-modem');
  await assert.rejects(plane.invoke('0', 'nope'), (err: ControlError) => err.code === 'unknown-verb');
  // Without a network, network verbs say so.
  await assert.rejects(plane.invoke('0', 'latency', { ms: 5 }), (err: ControlError) => err.code === 'unsupported');
  target.line.detach();
});

test('params: command-line words to arguments, checked like JSON', () => {
  const csq = verbNamed('csq').params;
  assert.deepEqual(wordsToArgs(csq, ['12', '3']), { rssi: '12', ber: '3' });
  assert.deepEqual(checkArgs(csq, wordsToArgs(csq, ['12'])).toJson(), { rssi: 12 });
  assert.deepEqual(wordsToArgs(csq, ['--ber=2', '--rssi', '9']), { rssi: '9', ber: '2' });
  assert.throws(() => wordsToArgs(csq, ['1', '2', '3']), /too many arguments/);
  assert.throws(() => wordsToArgs(csq, ['--power', '3']), /unknown option --power/);
  assert.throws(() => wordsToArgs(csq, ['--rssi']), /--rssi needs a value/);
  assert.throws(() => checkArgs(csq, { rssi: '1.5' }), /rssi must be an integer 0-31 or 99/);
  assert.throws(() => checkArgs(csq, {}), /missing rssi/);
  const inject = verbNamed('inject-urc').params;
  assert.deepEqual(wordsToArgs(inject, ['+CMTI:', '"SM",1', '--timing', 'now']), { text: '+CMTI: "SM",1', timing: 'now' });
  assert.deepEqual(wordsToArgs(inject, ['--', '--not-an-option', 'x']), { text: '--not-an-option x' });
  assert.throws(() => checkArgs(inject, { text: 'é€' }), /Latin-1/);
  assert.throws(() => checkArgs(inject, { text: '' }), /non-empty/);
  const dtr = verbNamed('dtr').params;
  assert.equal(checkArgs(dtr, { state: true }).flag('state'), true);
  assert.equal(checkArgs(dtr, wordsToArgs(dtr, ['off'])).flag('state'), false);
  assert.throws(() => checkArgs(dtr, { state: 1 }), /on or off/);
  const baud = verbNamed('baud').params;
  assert.equal(checkArgs(baud, { rate: 'on' }).intOrWord('rate'), 'on');
  assert.equal(checkArgs(baud, { rate: '9600' }).intOrWord('rate'), 9600);
  assert.throws(() => checkArgs(verbNamed('reboot').params, { now: true }), /this verb takes none/);
});

test('token: random, stored 0600 in a 0700 directory, compared in constant time, removed only if ours', () => {
  const dir = mkdtempSync(join(tmpdir(), 'a76xx-token-'));
  try {
    const a = generateToken();
    assert.notEqual(a, generateToken());
    assert.ok(a.length >= 32 && /^[A-Za-z0-9_-]+$/.test(a));
    assert.equal(defaultTokenPath(7071, { XDG_RUNTIME_DIR: '/run/user/1000' }), '/run/user/1000/a76xx/control-7071.token');
    assert.match(defaultTokenPath(7071, {}), /\/\.a76xx\/control-7071\.token$/);
    const path = join(dir, 'sub', 'control.token');
    writeFileSync(join(dir, 'loose'), 'x', { mode: 0o644 });
    writeTokenFile(path, a);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'sub')).mode & 0o777, 0o700);
    assert.equal(readTokenFile(path), a);
    // A file we did not make is never written into; a stale token file of ours is replaced.
    assert.throws(() => writeTokenFile(join(dir, 'loose'), a), (err: Error) => err.name === 'TokenFileError' && /not made by a76xx/.test(err.message));
    assert.equal(readFileSync(join(dir, 'loose'), 'utf8'), 'x');
    writeTokenFile(path, generateToken());
    assert.equal(statSync(path).mode & 0o777, 0o600);
    writeTokenFile(path, a);
    assert.ok(tokenMatches(a, a));
    assert.ok(!tokenMatches(`${a}x`, a));
    removeTokenFile(path, 'another');
    assert.equal(readFileSync(path, 'utf8'), `${a}\n`, 'not ours: kept');
    removeTokenFile(path, a);
    assert.throws(() => statSync(path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the control ready line reads back', () => {
  const line = controlReadyLine({ host: '127.0.0.1', port: 7071, url: 'http://127.0.0.1:7071', close: () => Promise.resolve() }, 'TOK', '/tmp/x y.token');
  assert.equal(line, 'a76xx control ready: http://127.0.0.1:7071 token TOK inspector http://127.0.0.1:7071/?token=TOK (file /tmp/x y.token)');
  assert.deepEqual(parseControlReadyLine(line), {
    url: 'http://127.0.0.1:7071',
    host: '127.0.0.1',
    port: 7071,
    token: 'TOK',
    inspector: 'http://127.0.0.1:7071/?token=TOK',
    tokenFile: '/tmp/x y.token',
  });
  assert.equal(parseControlReadyLine('a76xx emulator ready: tcp 127.0.0.1:1'), undefined);
});

test('http api: a 10 MB body is answered 413, then the connection closes cleanly (no reset before the answer)', TIMEOUT, async () => {
  await withServer(async ({ port, token }) => {
    const size = 10 * 1024 * 1024;
    const outcome = await new Promise<{ answer: string; error: string | undefined; ended: boolean }>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      let error: string | undefined;
      let ended = false;
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => (ended = true));
      socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
      socket.on('close', () => resolve({ answer: Buffer.concat(chunks).toString('latin1'), error, ended }));
      socket.setTimeout(8000, () => socket.destroy(new Error('timeout')));
      socket.write(
        `POST /v1/modems/a/verbs/csq HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
      );
      const block = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < size) {
          sent += block.length;
          if (!socket.write(block)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    assert.equal(outcome.error, undefined, 'no reset, no EPIPE');
    assert.ok(outcome.ended, 'the server closed with a FIN');
    const [head, body] = outcome.answer.split('\r\n\r\n') as [string, string];
    assert.match(head, /^HTTP\/1\.1 413 /);
    assert.match(head, /\r\nConnection: close\r\n/i);
    assert.deepEqual(JSON.parse(body), { ok: false, error: { code: 'too-large', message: 'the body is larger than 65536 bytes' } });
  });
});
