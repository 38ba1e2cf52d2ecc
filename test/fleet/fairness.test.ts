import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { parseModemLine } from '../../src/cli/emulate.js';
import { exitOf, spawnCli } from '../e2e/spawn-cli.js';
import { Wakeup } from '../support/wakeup.js';

/**
 * Fleet fairness (issue 13 item 4): in `a76xx emulate --count N`, one modem flooded by its link's
 * peer (push mode, its host reading) and one whose host types a 5 MB line without CR must neither
 * starve nor bloat the others: their `AT` round trips stay short and the process RSS bounded.
 * Figures in README "Reliability". Loopback only; every wait bounded.
 */

/** 20 in `npm test`; `A76XX_FAIRNESS_COUNT=2000 npx tsx --test test/fleet/fairness.test.ts` for the fleet size. */
const COUNT = Number(process.env['A76XX_FAIRNESS_COUNT'] ?? 20);
const FLOOD_MS = 2000;
const RSS_LIMIT_MIB = 250;
/** Bounds for the other modems' AT round trips while the two misbehave (a busy shared machine). */
const MEDIAN_LIMIT_MS = 100;
const MAX_LIMIT_MS = 2000;
const skip = process.platform !== 'linux' ? 'RSS is read from /proc (Linux)' : false;

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

class Host {
  private text = '';
  private readonly wakeup = new Wakeup();
  private readonly listener = (b: Buffer): void => {
    this.text = (this.text + b.toString('latin1')).slice(-256 * 1024);
    this.wakeup.wake();
  };
  constructor(readonly socket: Socket) {
    socket.on('data', this.listener);
  }
  /** From now on just count what arrives (a flood must not cost the test its own CPU). */
  discard(): () => number {
    let bytes = 0;
    this.socket.off('data', this.listener);
    this.socket.on('data', (b: Buffer) => (bytes += b.length));
    return () => bytes;
  }
  static async at(port: number): Promise<Host> {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new Host(socket);
  }
  async ask(line: string, until: string, ms = 5000): Promise<number> {
    this.text = '';
    const t0 = performance.now();
    this.socket.write(`${line}\r`);
    const deadline = Date.now() + ms;
    while (!this.text.includes(until)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${JSON.stringify(until)} after ${line}`);
      await this.wakeup.next(left);
    }
    return performance.now() - t0;
  }
}

test(`fleet of ${COUNT}: a flooded modem and a 5 MB line leave the others answering`, { skip, timeout: 90_000 + COUNT * 100 }, async () => {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let flooding = true;
  const floodSockets = new Set<Socket>();
  const flood = createServer((socket) => {
    floodSockets.add(socket);
    socket.on('error', () => {});
    const pump = (): void => {
      while (flooding && socket.writable) if (!socket.write(chunk)) return;
    };
    socket.on('drain', pump);
    pump();
  });
  await new Promise<void>((resolve) => flood.listen(0, '127.0.0.1', resolve));
  const cli = spawnCli(['emulate', '--count', String(COUNT), '--tcp', '127.0.0.1:0', '--no-boot-urcs']);
  const hosts: Host[] = [];
  try {
    const out = await cli.stdout.until((b) => new RegExp(`a76xx emulator ready: fleet ${COUNT} tcp\\n`).test(b.toString()), 30_000 + COUNT * 20, 'the fleet ready line');
    const ports = out
      .toString()
      .split('\n')
      .map(parseModemLine)
      .flatMap((m) => (m !== undefined && m.endpoint.kind === 'tcp' ? [m.endpoint.port] : []));
    assert.equal(ports.length, COUNT);
    for (const port of ports) hosts.push(await Host.at(port));
    for (const host of hosts) await host.ask('ATE0', 'OK\r\n');
    const pid = cli.child.pid as number;
    const probe = async (): Promise<number[]> => {
      const rtts: number[] = [];
      for (let i = 2; i < COUNT; i++) rtts.push(await (hosts[i] as Host).ask('AT', '\r\nOK\r\n'));
      return rtts;
    };
    const idle = (await probe()).sort((a, b) => a - b);
    const rssIdle = rssMiB(pid);

    // Modem 0: its link's peer floods, pushed to a host that reads. Modem 1: a 5 MB line, no CR.
    const flooded = hosts[0] as Host;
    await flooded.ask('AT+NETOPEN', '+NETOPEN: 0');
    const pushed = flooded.discard();
    flooded.socket.write(`AT+CIPOPEN=0,"TCP","127.0.0.1",${(flood.address() as AddressInfo).port}\r`);
    const typist = hosts[1] as Host;
    typist.socket.write('AT');
    const line = Buffer.alloc(5 * 2 ** 20, 'A');
    typist.socket.write(line);

    const busy: number[] = [];
    let rssPeak = rssIdle;
    const end = Date.now() + FLOOD_MS;
    while (Date.now() < end) {
      busy.push(...(await probe()));
      rssPeak = Math.max(rssPeak, rssMiB(pid));
    }
    busy.sort((a, b) => a - b);
    const median = (xs: number[]) => xs[Math.floor(xs.length / 2)] as number;
    console.log(
      `# fleet ${COUNT}: AT rtt idle median ${median(idle).toFixed(2)} ms; while flooded median ${median(busy).toFixed(2)} ms, ` +
        `max ${(busy[busy.length - 1] as number).toFixed(1)} ms over ${busy.length} probes; ` +
        `${(pushed() / 2 ** 20).toFixed(0)} MiB pushed to the flooded modem's host; RSS idle ${rssIdle.toFixed(1)} MiB, peak ${rssPeak.toFixed(1)} MiB`,
    );
    assert.ok(median(busy) < MEDIAN_LIMIT_MS, `median ${median(busy)} ms`);
    assert.ok((busy[busy.length - 1] as number) < MAX_LIMIT_MS, `max ${busy[busy.length - 1]} ms`);
    assert.ok(rssPeak < RSS_LIMIT_MIB, `RSS ${rssPeak} MiB`);
    // The typist's line ends: ERROR, and it answers again.
    await typist.ask('', '\r\nERROR\r\n', 10_000);
    await typist.ask('AT', '\r\nOK\r\n');
    flooding = false;
    for (const h of hosts) h.socket.destroy();
    cli.child.kill('SIGTERM');
    assert.equal((await exitOf(cli, 5000)).code, 0);
  } finally {
    flooding = false;
    for (const s of floodSockets) s.destroy();
    flood.close();
    for (const h of hosts) h.socket.destroy();
    cli.dispose();
  }
});
