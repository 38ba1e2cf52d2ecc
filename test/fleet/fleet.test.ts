/**
 * Fleet mode: `a76xx emulate --count N` serves N modems, each its own state, on consecutive TCP
 * ports, and `a76xx ctl --modem K` (or `all`) reaches one or every one of them. Plus the fleet in
 * process (distinct IMEIs, ids) and `--count` argument checks. Everything on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseModemLine, parseCount } from '../../src/cli/emulate.js';
import { parseControlReadyLine } from '../../src/control/http-server.js';
import { ControlPlane } from '../../src/control/plane.js';
import { Fleet, fleetImei, luhnDigit } from '../../src/fleet/fleet.js';
import { exitOf, spawnCli } from '../e2e/spawn-cli.js';

const TIMEOUT = { timeout: 60_000 };
const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
const ROOT = join(import.meta.dirname, '../..');

/** A lean AT host on a TCP port: send a line, collect until a final result. */
async function atPort(port: number): Promise<{ ask(line: string): Promise<string>; close(): void }> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
  let text = '';
  socket.on('data', (b: Buffer) => {
    text += b.toString('latin1');
  });
  return {
    async ask(line: string): Promise<string> {
      text = '';
      socket.write(`${line}\r`);
      const deadline = Date.now() + 5000;
      while (!/\r\n(OK|ERROR)\r\n$/.test(text)) {
        if (Date.now() > deadline) throw new Error(`no final result for ${line}: ${JSON.stringify(text)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return text;
    },
    close: () => socket.destroy(),
  };
}

function ctl(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'ctl', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('a76xx ctl did not exit in 15 s'));
    }, 15_000);
    // 'close', not 'exit': only then has all of the child's output been read.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('fleet in process', () => {
  it('gives each modem its id and an IMEI of its own with a valid check digit', () => {
    const fleet = new Fleet({ count: 3, config: { bootUrcs: false } });
    assert.deepEqual(
      fleet.members.map((m) => m.id),
      ['0', '1', '2'],
    );
    const imeis = fleet.members.map((m) => m.modem.config.identity.imei);
    assert.deepEqual(imeis, ['860470062749167', '860470062749175', '860470062749183']);
    for (const imei of imeis) assert.equal(luhnDigit(imei.slice(0, 14)), imei[14]);
    assert.equal(fleetImei('not-an-imei', 4), 'not-an-imei');
    // State is per modem.
    assert.notEqual(fleet.members[0]?.modem.state, fleet.members[1]?.modem.state);
    const plane = new ControlPlane();
    fleet.register(plane);
    assert.deepEqual(plane.ids, ['0', '1', '2']);
  });

  it('refuses an impossible size', () => {
    assert.throws(() => new Fleet({ count: 0 }), RangeError);
    assert.throws(() => parseCount('0'), /expected 1 to/);
    assert.throws(() => parseCount('x'), /whole number/);
    assert.equal(parseCount('10000'), 10000);
  });
});

describe('a76xx emulate --count', () => {
  it('serves N modems on consecutive ports, each its own state; ctl --modem K reaches one, --modem all every one', TIMEOUT, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'a76xx-fleet-'));
    const tokenFile = join(dir, 'token');
    // Port 0: each modem on a free port of its own (consecutive ports are checked by the bench).
    const cli = spawnCli(['emulate', '--count', '3', '--tcp', '127.0.0.1:0', '--control', '127.0.0.1:0', '--token-file', tokenFile, '--no-boot-urcs']);
    try {
      const out = await cli.stdout.until((b) => /a76xx emulator ready: fleet 3 tcp\n/.test(b.toString()), 30_000, 'the fleet ready line');
      const lines = out.toString().split('\n');
      const modems = lines.map(parseModemLine).filter((m) => m !== undefined);
      assert.deepEqual(
        modems.map((m) => m.id),
        ['0', '1', '2'],
      );
      const ports = modems.map((m) => (m.endpoint.kind === 'tcp' ? m.endpoint.port : -1));
      assert.equal(new Set(ports).size, 3);
      const control = lines.map(parseControlReadyLine).find((c) => c !== undefined);
      assert.ok(control !== undefined, 'the control ready line');
      const where = control.url.replace('http://', '');

      const hosts = await Promise.all(ports.map(atPort));
      try {
        const imeis = await Promise.all(hosts.map((h) => h.ask('AT+CGSN')));
        assert.equal(new Set(imeis).size, 3, 'each modem has its own IMEI');

        // One modem: only its signal changes.
        const one = await ctl(['--control', where, '--token-file', tokenFile, '--modem', '1', 'csq', '8', '0']);
        assert.equal(one.code, 0, one.stderr);
        assert.match(await (hosts[1] as { ask(l: string): Promise<string> }).ask('AT+CSQ'), /\+CSQ: 8,0\r\n/);
        assert.match(await (hosts[0] as { ask(l: string): Promise<string> }).ask('AT+CSQ'), /\+CSQ: 20,99\r\n/);

        // All of them.
        const all = await ctl(['--control', where, '--token-file', tokenFile, '--modem', 'all', 'csq', '5']);
        assert.equal(all.code, 0, all.stderr);
        assert.deepEqual(Object.keys(JSON.parse(all.stdout) as object).sort(), ['0', '1', '2']);
        for (const h of hosts) assert.match(await h.ask('AT+CSQ'), /\+CSQ: 5,/);

        // A modem that is not there.
        const missing = await ctl(['--control', where, '--token-file', tokenFile, '--modem', '3', 'status']);
        assert.equal(missing.code, 2, 'an unknown modem is bad usage');
        assert.match(missing.stderr, /no modem "3"/);
      } finally {
        for (const h of hosts) h.close();
      }
      cli.child.kill('SIGTERM');
      assert.equal((await exitOf(cli)).code, 0);
    } finally {
      cli.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes consecutive ports from PORT', TIMEOUT, async () => {
    // A block below the ephemeral range; another try elsewhere if something holds one of them.
    for (let attempt = 0; ; attempt++) {
      const base = 21_000 + Math.floor(Math.random() * 10_000);
      const cli = spawnCli(['emulate', '--count', '3', '--tcp', `127.0.0.1:${base}`, '--no-boot-urcs']);
      try {
        const out = await Promise.race([
          cli.stdout.until((b) => /a76xx emulator ready: [^\n]*\n/.test(b.toString()), 30_000, 'the fleet ready line'),
          exitOf(cli, 30_000).then(() => undefined),
        ]);
        if (out === undefined) {
          assert.match(cli.stderr.bytes.toString(), /address already in use/);
          assert.ok(attempt < 5, 'five port blocks in use');
          continue;
        }
        const lines = out.toString().split('\n');
        assert.ok(lines.includes(`a76xx emulator ready: fleet 3 tcp 127.0.0.1:${base}-${base + 2}`), out.toString());
        assert.deepEqual(
          lines.map(parseModemLine).filter((m) => m !== undefined),
          [0, 1, 2].map((i) => ({ id: String(i), endpoint: { kind: 'tcp', host: '127.0.0.1', port: base + i } })),
        );
        const host = await atPort(base + 2);
        assert.match(await host.ask('AT'), /OK/);
        host.close();
        cli.child.kill('SIGTERM');
        assert.equal((await exitOf(cli)).code, 0);
        return;
      } finally {
        cli.dispose();
      }
    }
  });

  it('refuses --count with --stdio, and a port range past 65535', TIMEOUT, async () => {
    const bad = spawnCli(['emulate', '--count', '2', '--stdio']);
    try {
      const { code } = await exitOf(bad);
      assert.notEqual(code, 0);
      assert.match(bad.stderr.bytes.toString(), /cannot be used with option '--stdio'|--stdio/);
    } finally {
      bad.dispose();
    }
    // A base port whose range runs past 65535 is refused before anything listens.
    const high = spawnCli(['emulate', '--count', '3', '--tcp', '127.0.0.1:65534']);
    try {
      const { code } = await exitOf(high);
      assert.equal(code, 1);
      assert.match(high.stderr.bytes.toString(), /3 ports from 65534 go beyond 65535/);
    } finally {
      high.dispose();
    }
  });
});
