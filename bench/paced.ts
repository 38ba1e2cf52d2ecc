/**
 * paced-transparent, paced-push, paced-buffer (receiving) and paced-send (the driver writing flat
 * out, push mode): what the driver moves over an emulator whose AT port is paced like a UART at
 * 3,686,400 baud (10 bits a byte: 368,640 bytes/s), against that line rate.
 *
 * The emulator is the real CLI (`a76xx emulate --pace`) in its own process; the driver
 * (`A76xx.open('tcp://…', { mode })`, its public API) and a loopback peer that sends as fast as
 * TCP lets it run here. The driver first sets the rate with `AT+IPR=3686400` (the line follows
 * after the OK), then opens a TcpSocket to the peer and reads; the window counts the bytes its
 * readable side delivers.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { A76xx, type SocketMode } from '../src/driver/index.js';
import { BITS_PER_BYTE } from '../src/emulator/serve/pacing.js';
import { startEmulatorCli } from './goodput.js';
import { row, type Row } from './lib/report.js';
import { sleep } from '../src/time/sleep.js';

export const PACED_BAUD = 3_686_400;
export const LINE_RATE = PACED_BAUD / BITS_PER_BYTE;

export interface PacedOptions {
  readonly warmupMs: number;
  readonly windowMs: number;
}


async function driverGoodput(mode: SocketMode, options: PacedOptions, direction: 'receive' | 'send' = 'receive'): Promise<{ rate: number; received: number }> {
  // The peer: as soon as the module connects, send for ever (TCP back-pressure paces it) — or,
  // for the send row, count what arrives.
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  const sockets = new Set<Socket>();
  let peerReceived = 0;
  const peer = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    if (direction === 'send') {
      socket.on('data', (bytes: Buffer) => (peerReceived += bytes.length));
      return;
    }
    const pump = (): void => {
      while (!socket.destroyed && socket.write(chunk));
      if (!socket.destroyed) socket.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
  const peerPort = (peer.address() as AddressInfo).port;
  const { child, port } = await startEmulatorCli(['--pace']);
  let a76xx: A76xx | undefined;
  try {
    a76xx = await A76xx.open(`tcp://127.0.0.1:${port}`, { mode, guardMs: 200 });
    await a76xx.modem.channel.command(`AT+IPR=${PACED_BAUD}`);
    const socket = a76xx.createConnection({ port: peerPort, host: '127.0.0.1' });
    socket.on('error', () => {});
    let delivered = 0;
    socket.on('data', (bytes: Buffer) => {
      delivered += bytes.length;
    });
    const received = (): number => (direction === 'send' ? peerReceived : delivered);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${mode}: the driver's connection did not open in 10 s`)), 10_000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (direction === 'send') {
      // Flat out: write whenever the writable side has room (its callbacks are the module's confirmations).
      const out = Buffer.alloc(64 * 1024, 0x62);
      const pump = (): void => {
        while (!socket.destroyed && socket.write(out));
        if (!socket.destroyed) socket.once('drain', pump);
      };
      pump();
    }
    await sleep(options.warmupMs);
    const r0 = received();
    const t0 = performance.now();
    await sleep(options.windowMs);
    const rate = ((received() - r0) * 1000) / (performance.now() - t0);
    socket.destroy();
    return { rate, received: received() - r0 };
  } finally {
    // The module may be in data mode: the transport just goes (close with a bound).
    if (a76xx !== undefined) await Promise.race([a76xx.close().catch(() => {}), sleep(2000)]);
    await child.stop();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => peer.close(() => resolve()));
  }
}

/** One paced row: the driver's goodput in `mode` (receiving, or sending flat out) over the line rate. */
async function pacedRow(name: string, mode: SocketMode, atLeast: number, options: PacedOptions, direction: 'receive' | 'send' = 'receive'): Promise<Row> {
  const { rate, received } = await driverGoodput(mode, options, direction);
  return row({
    name,
    value: rate,
    unit: 'B/s',
    baseline: LINE_RATE,
    baselineIs: `line rate at ${PACED_BAUD} baud, 10 bits a byte`,
    goal: { on: 'ratio', atLeast },
    detail: { windowMs: options.windowMs, bytes: received, api: direction === 'send' ? 'A76xx.open + TcpSocket.write' : 'A76xx.open + TcpSocket' },
  });
}

export const pacedTransparent = (options: PacedOptions): Promise<Row> => pacedRow('paced-transparent', 'transparent', 0.98, options);
export const pacedPush = (options: PacedOptions): Promise<Row> => pacedRow('paced-push', 'push', 0.95, options);
export const pacedSend = (options: PacedOptions): Promise<Row> => pacedRow('paced-send', 'push', 0.9, options, 'send');
export const pacedBuffer = (options: PacedOptions): Promise<Row> => pacedRow('paced-buffer', 'buffer', 0.93, options);
