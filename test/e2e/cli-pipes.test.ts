import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { runConsole } from '../../src/cli/console.js';
import { serveEmulator, startTcpServer, within } from '../driver/support/emulated.js';
import { cliArgs, ROOT } from '../support/cli.js';

/**
 * The newcomer path of issue 15: `a76xx nc … | head -1` and `a76xx console … | head -1` end
 * quietly (no EPIPE stack trace, exit 0); piped `console` waits for the completions that come after
 * `OK` (spec §1.6) and for `@wait PATTERN` lines.
 */
const T = { timeout: 60_000 };

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _e, cb) {
        chunks.push(chunk);
        cb();
      },
    }),
    text: () => Buffer.concat(chunks).toString('latin1'),
  };
}

/** `sh -c 'a76xx ARGS < INPUT | head -1'`: the CLI's exit status, what head printed, the CLI's stderr. */
function throughHead(args: readonly string[], input: string): Promise<{ status: string; out: string; err: string }> {
  const cli = cliArgs(...args).map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const script = `printf '%s' "$INPUT" | '${process.execPath}' ${cli} 2>"$ERRFILE" | head -1; echo "status=\${PIPESTATUS[1]}" >&2; cat "$ERRFILE" >&2`;
  const errFile = join(tmpdir(), `a76xx-head-${process.pid}-${Date.now()}.err`);
  return new Promise((resolve, reject) => {
    // Its own process group: on a timeout the whole pipeline goes, not only bash.
    const child = spawn('bash', ['-c', script], { cwd: ROOT, detached: true, env: { ...process.env, INPUT: input, ERRFILE: errFile } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('latin1')));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      reject(new Error(`not done within 40 s: ${err}`));
    }, 40_000);
    child.on('close', () => {
      clearTimeout(timer);
      rmSync(errFile, { force: true });
      const status = /status=(\d+)/.exec(err)?.[1] ?? '?';
      resolve({ status, out, err: err.replace(/status=\d+\n/, '') });
    });
  });
}

test('nc … | head -1 and console … | head -1 exit quietly (0, no EPIPE trace)', T, async () => {
  const emulator = await serveEmulator();
  // A peer that talks a lot: far more than a pipe holds, so the CLI writes after head has gone.
  const chatty = await startTcpServer((socket) => {
    const line = Buffer.from(`${'x'.repeat(1023)}\n`);
    let sent = 0;
    const pump = (): void => {
      while (sent < 2048 && !socket.destroyed) {
        sent++;
        if (!socket.write(line)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  try {
    const nc = await throughHead(['nc', '--device', emulator.device, '--idle', '5000', '127.0.0.1', String(chatty.port)], '');
    assert.equal(nc.out, `${'x'.repeat(1023)}\n`);
    assert.equal(nc.status, '0', nc.err);
    assert.doesNotMatch(nc.err, /EPIPE|Error|at /, nc.err);

    const many = Array.from({ length: 400 }, () => 'ATI').join('\n');
    const consoleRun = await throughHead(['console', '--device', emulator.device], `${many}\n`);
    // One line (the echo of ATI, or a URC left from the nc session before it), and a quiet end.
    assert.match(consoleRun.out, /^[^\n]*\n$/);
    assert.equal(consoleRun.status, '0', consoleRun.err);
    assert.doesNotMatch(consoleRun.err, /EPIPE|Error|at /, consoleRun.err);
  } finally {
    await chatty.close();
    await emulator.close();
  }
});

for (const eol of ['\n', '\r\n']) {
  test(`piped console waits for completions after OK and for @wait patterns (input lines end ${JSON.stringify(eol)})`, T, async () => {
    const emulator = await serveEmulator();
    const echo = await startTcpServer();
    try {
      const lines = [
        'ATE0',
        'AT+NETOPEN',
        // Sent only after +NETOPEN: 0, or it would fail (the network is not open yet at OK).
        `AT+CIPOPEN=0,"TCP","127.0.0.1",${echo.port}`,
        // Sent only after +CIPOPEN: 0,0.
        'AT+CIPSEND=0,5',
        'hello',
        // The echo comes back unsolicited: wait for it by pattern.
        '@wait /^\\+IPD5$/',
        'AT+CIPCLOSE=0',
        'AT+NETCLOSE',
        '@wait +NETCLOSE: 0',
      ];
      const out = sink();
      const stdin = Readable.from([Buffer.from(`${lines.join(eol)}${eol}`)]);
      const code = await within(runConsole({ device: emulator.device, timeout: 5_000, idle: 200, lineTimeout: 3_000 }, { stdin, stdout: out.stream, stderr: sink().stream }), 20_000, 'console');
      assert.equal(code, 0, out.text());
      const expected = [
        'ATE0\r\r\nOK\r\n',
        '\r\nOK\r\n\r\n+NETOPEN: 0\r\n',
        '\r\nOK\r\n\r\n+CIPOPEN: 0,0\r\n',
        '\r\n>',
        '\r\nOK\r\n\r\n+CIPSEND: 0,5,5\r\n',
        '+IPD5\r\nhello',
        '\r\nOK\r\n\r\n+CIPCLOSE: 0,0\r\n',
        '\r\nOK\r\n\r\n+NETCLOSE: 0\r\n',
      ];
      let at = 0;
      for (const part of expected) {
        const found = out.text().indexOf(part, at);
        assert.ok(found >= 0, `${JSON.stringify(part)} after ${at} in ${JSON.stringify(out.text())}`);
        at = found + part.length;
      }
      assert.doesNotMatch(out.text(), /ERROR/);
    } finally {
      await echo.close();
      await emulator.close();
    }
  });
}

test('piped console: an @wait that never matches fails after --line-timeout, saying which', T, async () => {
  const emulator = await serveEmulator();
  try {
    const err = sink();
    const stdin = Readable.from([Buffer.from('AT\n@wait +CIPEVENT\nATI\n')]);
    const code = await within(runConsole({ device: emulator.device, timeout: 5_000, idle: 200, lineTimeout: 400 }, { stdin, stdout: sink().stream, stderr: err.stream }), 10_000, 'console');
    assert.equal(code, 1);
    assert.match(err.text(), /no module line matched \/\\\+CIPEVENT\/ within 400 ms/);
  } finally {
    await emulator.close();
  }
});
