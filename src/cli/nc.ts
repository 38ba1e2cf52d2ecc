import type { Readable, Writable } from 'node:stream';
import { Command, InvalidArgumentError, Option } from 'commander';
import { A76xx, type A76xxOptions } from '../driver/a76xx.js';
import type { SocketMode } from '../driver/link-user.js';
import type { TcpSocket } from '../driver/tcp-socket.js';
import type { UdpSocket } from '../driver/udp-socket.js';
import { errorMessage } from '../common/errors.js';

/**
 * `a76xx nc`: netcat over the module. stdin goes to the remote, the remote's bytes go to stdout.
 * Wiring only: the driver's sockets do the work.
 *
 * It exits 0 once stdin has ended, everything read from it was sent (the module confirmed it),
 * and the remote has closed or been quiet for --idle ms; non-zero with a message on stderr on any
 * error. Remote first closing also ends it (0). TCP half-close is impossible on the module, so
 * the connection stays fully open after stdin ends until then.
 *
 * Also the home of the device options the driver-side commands share (console, fetch, doctor).
 */

export const DEFAULT_IDLE_MS = 2000;
/** UDP payload per datagram read from stdin (spec §0.3: carriers may drop larger than 1400). */
export const UDP_DATAGRAM = 1400;
export const MODES: readonly SocketMode[] = ['push', 'buffer', 'transparent'];

// ---------------------------------------------------------------- shared device options

export interface DeviceOptions {
  readonly device: string;
  readonly baud?: number;
  readonly apn?: string;
  readonly pin?: string;
  /** Longest wait for any module answer or completion (ms). */
  readonly timeout: number;
  /** `+++` guard time (ms), for modules (or emulators) with another than 1000. */
  readonly guard?: number;
}

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected a whole number > 0');
  return Number(value);
}

/** --device, --baud, --apn, --pin, --timeout, --guard. */
export function addDeviceOptions(command: Command): Command {
  return command
    .requiredOption('--device <DEVICE>', 'the AT port: a serial device (/dev/ttyUSB2, /dev/pts/N, COM5) or tcp://HOST:PORT (the emulator)')
    .addOption(new Option('--baud <RATE>', 'serial line rate (default 115200)').argParser(positiveInt))
    .addOption(new Option('--apn <APN>', 'define PDP context 1 with this APN before opening the network'))
    .addOption(new Option('--pin <PIN>', 'SIM PIN, entered once if the SIM asks for it'))
    .addOption(new Option('--timeout <MS>', 'longest wait for the module (open, connect, send, close)').argParser(positiveInt).default(30_000))
    .addOption(new Option('--guard <MS>', 'guard time around +++ (the module needs at least 1000)').argParser(positiveInt));
}

/** Driver options from the shared CLI options. */
export function driverOptions(options: DeviceOptions): A76xxOptions {
  const t = options.timeout;
  return {
    ...(options.baud !== undefined ? { baudRate: options.baud } : {}),
    ...(options.apn !== undefined ? { apn: options.apn } : {}),
    ...(options.pin !== undefined ? { pin: options.pin } : {}),
    ...(options.guard !== undefined ? { guardMs: options.guard } : {}),
    connectTimeoutMs: Math.min(t, 10_000),
    timeouts: { '+NETOPEN': t, '+NETCLOSE': t, '+CIPOPEN': t, '+CIPSEND': t, '+CIPCLOSE': t },
  };
}

/** Whether stdout's reader is still there (see watchReader). */
export interface StdoutReader {
  readonly gone: boolean;
}

/**
 * `a76xx … | head -1`: the reader went away. Like Unix tools, end quietly — here by ending the
 * session normally (links closed, exit 0) rather than with an EPIPE stack trace. (process.stdout is
 * never marked destroyed, so the caller asks `gone` before writing.)
 */
export function watchReader(stdout: Writable, onGone: () => void): StdoutReader {
  const reader = { gone: false };
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') return;
    if (reader.gone) return;
    reader.gone = true;
    onGone();
  });
  return reader;
}

/** One line on stderr, prefixed with the command name. */
export function complain(stderr: Writable, name: string, error: unknown): void {
  const message = errorMessage(error);
  stderr.write(`a76xx ${name}: ${message}\n`);
}

// ---------------------------------------------------------------- nc

export interface NcOptions extends DeviceOptions {
  readonly mode: SocketMode;
  readonly udp?: boolean;
  readonly idle: number;
}

export interface NcIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export function command(): Command {
  const nc = new Command('nc')
    .summary('netcat through the module: stdin to a TCP/UDP peer, its answers to stdout')
    .description(
      'Open the module, connect to HOST PORT through it (TCP, or UDP with --udp), copy stdin to the peer and ' +
        'the peer to stdout. Exits 0 when stdin has ended, all of it was sent, and the peer closed or was quiet ' +
        'for --idle ms; 1 with a message on stderr on any error.',
    )
    .argument('<host>', 'peer name (resolved by the module) or IP')
    .argument('<port>', 'peer port', positiveInt)
    .addOption(new Option('--mode <MODE>', 'receive mode').choices(MODES).default('push'))
    .addOption(new Option('--udp', 'UDP datagrams (of at most 1400 bytes of stdin each) instead of TCP'))
    .addOption(new Option('--idle <MS>', 'after stdin ended: how long the peer may be quiet before exiting').argParser(positiveInt).default(DEFAULT_IDLE_MS))
    .addHelpText(
      'after',
      ['', 'Examples:', '  printf "GET / HTTP/1.0\\r\\n\\r\\n" | a76xx nc --device /dev/ttyUSB2 example.com 80', '  a76xx nc --device tcp://127.0.0.1:7070 --mode buffer --udp 127.0.0.1 9999 < datagram.bin'].join('\n'),
    );
  return addDeviceOptions(nc).action(async (host: string, port: number, options: NcOptions) => {
    process.exitCode = await runNc(host, port, options, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
  });
}

/** Run nc; resolves with the exit code. */
export async function runNc(host: string, port: number, options: NcOptions, io: NcIo): Promise<number> {
  let a76xx: A76xx | undefined;
  try {
    if (options.udp === true && options.mode === 'transparent') throw new Error('--udp needs --mode push or buffer (transparent mode carries one TCP connection)');
    a76xx = await A76xx.open(options.device, { ...driverOptions(options), mode: options.mode });
    a76xx.on('warning', (message) => io.stderr.write(`a76xx nc: warning: ${message}\n`));
    if (options.udp === true) await udpSession(a76xx, host, port, options, io);
    else await tcpSession(a76xx, host, port, options, io);
    await a76xx.close();
    return 0;
  } catch (error) {
    complain(io.stderr, 'nc', error);
    await a76xx?.close().catch(() => {});
    return 1;
  }
}

/** Resolves when the exchange is over (see the file comment); rejects on any error. */
async function tcpSession(a76xx: A76xx, host: string, port: number, options: NcOptions, io: NcIo): Promise<void> {
  const socket: TcpSocket = a76xx.createConnection({ port, host });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    const end = new SessionEnd(options.idle, (error) => {
      io.stdin.unpipe(socket);
      io.stdin.pause();
      if (error !== undefined) {
        socket.destroy();
        reject(error);
        return;
      }
      // Everything received is on stdout before the link goes (end() closes it: no half-close).
      const close = (): void => {
        socket.once('close', () => resolve());
        socket.end();
        socket.resume();
      };
      if (io.stdout.writableNeedDrain && !reader.gone) io.stdout.once('drain', close);
      else close();
    });
    const reader = watchReader(io.stdout, () => {
      end.finish();
      socket.resume();
    });
    socket.on('error', (error) => end.finish(error));
    socket.on('data', (chunk: Buffer) => {
      if (reader.gone) return;
      if (!io.stdout.write(chunk)) {
        socket.pause();
        io.stdout.once('drain', () => socket.resume());
      }
      end.activity();
    });
    socket.on('end', () => end.finish());
    io.stdin.on('error', (error) => end.finish(error));
    io.stdin.once('end', () => {
      // An empty write completes after every earlier one: then all of stdin was confirmed sent.
      socket.write(Buffer.alloc(0), (error) => {
        if (error) end.finish(error);
        else end.allSent();
      });
    });
    io.stdin.pipe(socket, { end: false });
  });
}

async function udpSession(a76xx: A76xx, host: string, port: number, options: NcOptions, io: NcIo): Promise<void> {
  const socket: UdpSocket = a76xx.createUdpSocket();
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(() => {
      socket.off('error', reject);
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const end = new SessionEnd(options.idle, (error) => {
      io.stdin.pause();
      socket.close(() => (error === undefined ? resolve() : reject(error)));
    });
    const reader = watchReader(io.stdout, () => end.finish());
    socket.on('error', (error) => end.finish(error));
    socket.on('message', (msg) => {
      if (!reader.gone) io.stdout.write(msg);
      end.activity();
    });
    let sending = Promise.resolve();
    io.stdin.on('data', (chunk: Buffer) => {
      io.stdin.pause();
      sending = sending.then(async () => {
        for (let at = 0; at < chunk.length && !end.done; at += UDP_DATAGRAM) {
          await new Promise<void>((resolve, fail) =>
            socket.send(chunk.subarray(at, at + UDP_DATAGRAM), port, host, (error) => (error ? fail(error) : resolve())),
          );
        }
        io.stdin.resume();
      });
      sending.catch((error: Error) => end.finish(error));
    });
    io.stdin.on('error', (error) => end.finish(error));
    io.stdin.once('end', () => {
      void sending.then(() => end.allSent());
    });
  });
}

/**
 * When an nc session is over: at the first error, or once all of stdin is sent and the remote has
 * then been quiet for `idleMs` (every received chunk restarts the wait). `close` runs once.
 */
class SessionEnd {
  private timer: NodeJS.Timeout | undefined;
  private sent = false;
  done = false;

  constructor(
    private readonly idleMs: number,
    private readonly close: (error?: Error) => void,
  ) {}

  finish(error?: Error): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.close(error);
  }

  allSent(): void {
    this.sent = true;
    this.activity();
  }

  activity(): void {
    if (!this.sent) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.finish(), this.idleMs);
  }
}
