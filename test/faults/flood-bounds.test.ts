import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { exitOf, spawnCli, type CliProcess } from '../e2e/spawn-cli.js';

/**
 * The emulator's memory bounds under floods (issue 13 items 1–3), measured on `a76xx emulate`
 * itself (a child process; its RSS from /proc) with loopback peers this test starts:
 *
 * - a host sitting at a CIPSEND `>` prompt while another link's peer floods (push mode);
 * - a TCP host that stops reading while a peer floods, in push mode and in transparent mode;
 * - a host typing a 10 MB line without CR, reading its echo or not.
 *
 * Each scenario floods for FLOOD_MS, samples the RSS meanwhile (it must stay below RSS_LIMIT_MIB),
 * then checks `AT` is answered within ANSWER_MS and that SIGTERM ends the process (exit 0) within
 * EXIT_MS. The figures measured are in README "Reliability".
 */

const FLOOD_MS = 2000;
const RSS_LIMIT_MIB = 200;
const ANSWER_MS = 2000;
const EXIT_MS = 5000;
const TIMEOUT_MS = 60_000;
const skip = process.platform !== 'linux' ? 'RSS is read from /proc (Linux)' : false;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

/** Sample the child's RSS every 100 ms for `ms`; the largest value seen. */
async function peakRss(pid: number, ms: number): Promise<number> {
  let peak = rssMiB(pid);
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    peak = Math.max(peak, rssMiB(pid));
  }
  return peak;
}

/** A peer that writes `x` as fast as the module takes it, to whoever connects. */
async function floodingPeer(): Promise<{ server: Server; port: number; written: () => number; stop: () => void }> {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let written = 0;
  let flooding = true;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    const pump = (): void => {
      while (flooding && socket.writable) {
        written += chunk.length;
        if (!socket.write(chunk)) return;
      }
    };
    socket.on('drain', pump);
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    written: () => written,
    stop: () => {
      flooding = false;
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** A peer that reads and forgets. */
async function sinkPeer(): Promise<{ port: number; received: () => number; close: () => void }> {
  let received = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('data', (b: Buffer) => (received += b.length));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => received,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** The host on the emulator's AT port: reads into a rolling window, waits for text after a mark. */
class Host {
  private tail = '';
  private waiters = new Set<() => void>();
  total = 0;

  private constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.total += b.length;
      // Keep only the end: a flood must not grow the test either.
      this.tail = (this.tail + b.toString('latin1')).slice(-1024 * 1024);
      for (const w of this.waiters) w();
    });
  }

  static async attach(port: number): Promise<Host> {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new Host(socket);
  }

  /** Forget what came so far (the next wait looks only at what follows). */
  mark(): void {
    this.tail = '';
  }

  async until(text: string, ms = 5000): Promise<number> {
    const start = Date.now();
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!this.tail.includes(text)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${JSON.stringify(text)} within ${ms} ms; last: ${JSON.stringify(this.tail.slice(-200))}`));
      }, ms);
      this.waiters.add(check);
      check();
    });
    return Date.now() - start;
  }

  async say(line: string, until: string, ms?: number): Promise<number> {
    this.mark();
    this.socket.write(`${line}\r\n`);
    return this.until(until, ms);
  }
}

async function withEmulator(body: (cli: CliProcess, host: Host) => Promise<void>): Promise<void> {
  const cli = spawnCli(['emulate', '--tcp', '0', '--no-boot-urcs', '--escape-guard', '200']);
  try {
    const endpoint = await cli.ready();
    assert.equal(endpoint.kind, 'tcp');
    const host = await Host.attach(endpoint.kind === 'tcp' ? endpoint.port : 0);
    await host.say('ATE0', 'OK\r\n');
    await body(cli, host);
    host.socket.destroy();
    // SIGTERM is honoured promptly after the flood.
    const started = Date.now();
    cli.child.kill('SIGTERM');
    assert.equal((await exitOf(cli, EXIT_MS)).code, 0);
    report(`exit after SIGTERM in ${Date.now() - started} ms`);
  } finally {
    cli.dispose();
  }
}

const report = (line: string): void => console.log(`# ${line}`);

/** `AT` answered within ANSWER_MS (the OK that follows it, amid whatever else arrives). */
async function answersAt(host: Host): Promise<number> {
  const ms = await host.say('AT', '\r\nOK\r\n', ANSWER_MS);
  return ms;
}

test('a host at a CIPSEND > prompt while another link floods: memory bounded, the next command answers at once', { skip, timeout: TIMEOUT_MS }, async () => {
  const flood = await floodingPeer();
  const sink = await sinkPeer();
  try {
    await withEmulator(async (cli, host) => {
      await host.say('AT+NETOPEN', '+NETOPEN: 0\r\n');
      await host.say(`AT+CIPOPEN=0,"TCP","127.0.0.1",${flood.port}`, '+CIPOPEN: 0,0\r\n');
      await host.say(`AT+CIPOPEN=1,"TCP","127.0.0.1",${sink.port}`, '+CIPOPEN: 1,0\r\n');
      // Behind the prompt everything link 0 receives is held (URCs wait for the data phase).
      await host.say('AT+CIPSEND=1,10', '\r\n>');
      const peak = await peakRss(cli.child.pid as number, FLOOD_MS);
      report(`prompt hold: peak RSS ${peak.toFixed(1)} MiB`);
      assert.ok(peak < RSS_LIMIT_MIB, `RSS ${peak} MiB`);
      host.mark();
      host.socket.write('0123456789');
      await host.until('OK\r\n', ANSWER_MS);
      const ms = await answersAt(host);
      report(`prompt hold: AT answered in ${ms} ms after the data phase`);
    });
  } finally {
    flood.stop();
    sink.close();
  }
});

for (const mode of ['push', 'transparent'] as const) {
  test(`a TCP host that stops reading while a peer floods (${mode} mode): memory bounded, the peer held back`, { skip, timeout: TIMEOUT_MS }, async () => {
    const flood = await floodingPeer();
    try {
      await withEmulator(async (cli, host) => {
        if (mode === 'transparent') await host.say('AT+CIPMODE=1', 'OK\r\n');
        await host.say('AT+NETOPEN', '+NETOPEN: 0\r\n');
        host.socket.pause();
        host.socket.write(`AT+CIPOPEN=0,"TCP","127.0.0.1",${flood.port}\r\n`);
        const peak = await peakRss(cli.child.pid as number, FLOOD_MS);
        const accepted = flood.written();
        report(`${mode}, host not reading: peak RSS ${peak.toFixed(1)} MiB; the peer got ${(accepted / 2 ** 20).toFixed(1)} MiB out in ${FLOOD_MS} ms`);
        assert.ok(peak < RSS_LIMIT_MIB, `RSS ${peak} MiB`);
        // The host reads again: the module answers at once.
        host.socket.resume();
        if (mode === 'transparent') {
          // The flood goes on: +++ after the guard time (200 ms) of silence from the host.
          await new Promise((r) => setTimeout(r, 400));
          host.mark();
          host.socket.write('+++');
          await host.until('\r\nOK\r\n', ANSWER_MS + 1000);
        }
        const ms = await answersAt(host);
        report(`${mode}, host not reading: AT answered in ${ms} ms once it reads again`);
      });
    } finally {
      flood.stop();
    }
  });
}

for (const reading of [true, false]) {
  test(`a 10 MB line without CR (host ${reading ? 'reading' : 'not reading'} its echo): memory bounded, ERROR at the CR, bytes not kept`, { skip, timeout: TIMEOUT_MS }, async () => {
    await withEmulator(async (cli, host) => {
      await host.say('ATE1', 'OK\r\n');
      if (!reading) host.socket.pause();
      const line = Buffer.alloc(10 * 2 ** 20, 'A');
      line.write('AT', 0);
      let peak = rssMiB(cli.child.pid as number);
      const sampling = (async () => {
        peak = await peakRss(cli.child.pid as number, FLOOD_MS);
      })();
      // Written in 64 KiB pieces as a host's stream would; a host not reading is held back by TCP.
      for (let at = 0; at < line.length && (reading || at < 4 * 2 ** 20); at += 64 * 1024) {
        if (!host.socket.write(line.subarray(at, at + 64 * 1024))) {
          await Promise.race([new Promise((r) => host.socket.once('drain', r)), new Promise((r) => setTimeout(r, FLOOD_MS))]);
          if (!reading) break;
        }
      }
      await sampling;
      report(`10 MB line, host ${reading ? 'reading' : 'not reading'}: peak RSS ${peak.toFixed(1)} MiB`);
      assert.ok(peak < RSS_LIMIT_MIB, `RSS ${peak} MiB`);
      host.socket.resume();
      if (!reading) {
        // What it wrote before TCP held it back is still on its way: let the rest finish.
        for (let at = 4 * 2 ** 20; at < line.length; at += 64 * 1024) host.socket.write(line.subarray(at, at + 64 * 1024));
      }
      host.mark();
      host.socket.write('\r');
      await host.until('\r\nERROR\r\n', 10_000);
      const ms = await answersAt(host);
      report(`10 MB line, host ${reading ? 'reading' : 'not reading'}: AT answered in ${ms} ms after the ERROR`);
    });
  });
}
