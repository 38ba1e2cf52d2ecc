/**
 * paced-transparent and paced-buffer: what the driver gets out of an emulator whose AT port is
 * paced like a UART at 3,686,400 baud (10 bits a byte: 368,640 bytes/s), against that line rate.
 *
 * The emulator is the real CLI (`a76xx emulate --pace`) in its own process; the driver
 * (`A76xx.open('tcp://…', { mode })`, its public API) and a loopback peer that sends as fast as
 * TCP lets it run here. The driver first sets the rate with `AT+IPR=3686400` (the line follows
 * after the OK), then opens a TcpSocket to the peer and reads; the window counts the bytes its
 * readable side delivers.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { A76xx, type SocketMode } from '../src/driver/index.js';
import { BITS_PER_BYTE } from '../src/transport/pacing.js';
import { startEmulatorCli } from './goodput.js';
import { row, type Row } from './lib/report.js';

export const PACED_BAUD = 3_686_400;
export const LINE_RATE = PACED_BAUD / BITS_PER_BYTE;

export interface PacedOptions {
  readonly warmupMs: number;
  readonly windowMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function driverGoodput(mode: SocketMode, options: PacedOptions): Promise<{ rate: number; received: number }> {
  // The peer: as soon as the module connects, send for ever (TCP back-pressure paces it).
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  const sockets = new Set<Socket>();
  const peer = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
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
    let received = 0;
    socket.on('data', (bytes: Buffer) => {
      received += bytes.length;
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${mode}: the driver's connection did not open in 10 s`)), 10_000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await sleep(options.warmupMs);
    const r0 = received;
    const t0 = performance.now();
    await sleep(options.windowMs);
    const rate = ((received - r0) * 1000) / (performance.now() - t0);
    socket.destroy();
    return { rate, received: received - r0 };
  } finally {
    // The module may be in data mode: the transport just goes (close with a bound).
    if (a76xx !== undefined) await Promise.race([a76xx.close().catch(() => {}), sleep(2000)]);
    await child.stop();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => peer.close(() => resolve()));
  }
}

export async function pacedTransparent(options: PacedOptions): Promise<Row> {
  const { rate, received } = await driverGoodput('transparent', options);
  return row({
    name: 'paced-transparent',
    value: rate,
    unit: 'B/s',
    baseline: LINE_RATE,
    baselineIs: `line rate at ${PACED_BAUD} baud, 10 bits a byte`,
    goal: { on: 'ratio', atLeast: 0.95 },
    detail: { windowMs: options.windowMs, bytes: received, api: 'A76xx.open + TcpSocket' },
  });
}

export async function pacedBuffer(options: PacedOptions): Promise<Row> {
  const { rate, received } = await driverGoodput('buffer', options);
  return row({
    name: 'paced-buffer',
    value: rate,
    unit: 'B/s',
    baseline: LINE_RATE,
    baselineIs: `line rate at ${PACED_BAUD} baud, 10 bits a byte`,
    goal: { on: 'ratio', atLeast: 0.8 },
    detail: { windowMs: options.windowMs, bytes: received, api: 'A76xx.open + TcpSocket' },
  });
}
