import { write as fsWrite } from 'node:fs';
import { lstat, readlink, symlink, unlink } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { followInputHold, OUTPUT_HIGH_WATER, OUTPUT_LOW_WATER, type ModuleSide, type ServedEndpoint } from './endpoint.js';

export interface PtyServeOptions {
  /** Also make a symlink at this path to the `/dev/pts/N` device (an existing symlink is replaced). */
  readonly link?: string;
  /** Diagnostics (dropped output, unexpected errors); nothing is printed by default. */
  readonly log?: (message: string) => void;
}

export interface PtyEndpoint extends ServedEndpoint {
  /** The device a host opens, e.g. `/dev/pts/5`. */
  readonly path: string;
  readonly link: string | undefined;
}

/**
 * Serve the AT port on a real pseudo-terminal: a host opens `path` (or `link`) as a serial port.
 *
 * The slave side is raw (no echo, no CR/LF translation, no signals, 8 bits) so bytes pass
 * untouched both ways. We keep one slave descriptor open ourselves, never read, so the master
 * never sees the slave fully closed (which ends reads with EIO on some systems); hosts may open
 * and close the port as often as they like. What the module prints while nobody reads waits in the PTY (a host that
 * flushes on open, as serialport does, discards it); past a bound it is dropped, like a UART
 * talking to nobody.
 *
 * While the module holds its input (`input-hold`) the master is not read: the PTY's buffer fills
 * and the host's writes to the port block, the nearest a PTY comes to RTS/CTS.
 */
export async function servePty(module: ModuleSide, options: PtyServeOptions = {}): Promise<PtyEndpoint> {
  const log = options.log ?? (() => {});
  const opened = (await loadPtyOpener()).open({ encoding: null });
  const path = opened.ptsName;

  let keeper: SlaveKeeper;
  try {
    keeper = await openRawSlave(path);
  } catch (err) {
    opened.slave.destroy();
    opened.master.destroy();
    throw err;
  }
  // node-pty's own slave reader would swallow every byte the module writes: we keep ours instead.
  opened.slave.destroy();

  const writer = new NonBlockingWriter(opened.fd, MAX_QUEUED_OUTPUT, log, (full) => module.setOutputPressure?.('pty', full));
  const forward = (bytes: Buffer): void => writer.write(bytes);
  const receive = (bytes: Buffer): void => module.input(bytes);
  opened.master.on('data', receive);
  // With our slave descriptor open the master sees no EIO; anything else is worth a line.
  opened.master.on('error', (err: Error) => log(`pty ${path}: ${err.message}`));
  module.on('output', forward);
  const unfollow = followInputHold(module, (held) => {
    if (held) opened.master.pause();
    else opened.master.resume();
  });

  try {
    if (options.link !== undefined) await replaceSymlink(options.link, path);
  } catch (err) {
    module.off('output', forward);
    unfollow();
    await writer.close();
    opened.master.destroy();
    await keeper.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    module.off('output', forward);
    unfollow();
    opened.master.off('data', receive);
    await writer.close();
    opened.master.destroy();
    await keeper.close().catch(() => {});
    if (options.link !== undefined) await removeOwnSymlink(options.link, path);
  };
  return {
    path,
    link: options.link,
    description: options.link === undefined ? `pty ${path}` : `pty ${path} (link ${options.link})`,
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}

/** Most bytes joined into one write to the master. */
const COALESCE_BYTES = 64 * 1024;

/** Output queued beyond what the kernel buffers, before we start dropping it. */
const MAX_QUEUED_OUTPUT = 1 << 20;

// ---------------------------------------------------------------- node-pty open()

/** What node-pty 1.1's `open()` returns, narrowed to what we use (its typings lack `open`). */
interface OpenedPty {
  /** Master side, already reading (a tty.ReadStream). Writing to it blocks the event loop when the PTY is full. */
  readonly master: Socket;
  /** A reader on the slave side, opened by node-pty. */
  readonly slave: Socket;
  /** The slave device path, `/dev/pts/N`. */
  readonly ptsName: string;
  /** The master file descriptor (non-blocking). */
  readonly fd: number;
}

interface PtyOpener {
  open(options: { readonly encoding: null }): OpenedPty;
}

function isPtyOpener(candidate: unknown): candidate is PtyOpener {
  return typeof candidate === 'object' && candidate !== null && typeof (candidate as { open?: unknown }).open === 'function';
}

async function loadPtyOpener(): Promise<PtyOpener> {
  if (process.platform === 'win32') throw new Error('a pseudo-terminal needs Linux or macOS (use --tcp on Windows)');
  const loaded: unknown = await import('node-pty');
  if (isPtyOpener(loaded)) return loaded;
  const fallback = (loaded as { default?: unknown }).default;
  if (isPtyOpener(fallback)) return fallback;
  throw new Error('node-pty has no open(): a version other than 1.1 is installed');
}

// ---------------------------------------------------------------- the slave we keep open

interface SlaveKeeper {
  close(): Promise<void>;
}

/**
 * Open the slave like a serial port (serialport's binding sets raw termios: iflag IGNPAR only,
 * oflag 0, lflag 0, CS8, VMIN 1) and keep it open. Nothing ever reads from it.
 */
async function openRawSlave(path: string): Promise<SlaveKeeper> {
  const { SerialPort } = await import('serialport');
  const binding: { open(options: RawOpenOptions): Promise<SlaveKeeper> } = SerialPort.binding;
  return binding.open({ path, baudRate: 115200, lock: false, hupcl: false });
}

interface RawOpenOptions {
  readonly path: string;
  readonly baudRate: number;
  readonly lock: boolean;
  readonly hupcl: boolean;
}

// ---------------------------------------------------------------- writing to the master

/**
 * Writes to a non-blocking descriptor, waiting (with backoff) while it answers EAGAIN. libuv
 * writes to a PTY master in blocking mode and spins when the PTY is full, freezing the process;
 * this never blocks.
 */
class NonBlockingWriter {
  private queue: Buffer[] = [];
  private queued = 0;
  private inFlight: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs = 1;
  private dropping = false;
  private closed = false;

  constructor(
    private readonly fd: number,
    private readonly limit: number,
    private readonly log: (message: string) => void,
    /** More than OUTPUT_HIGH_WATER waits (true), or it is down to OUTPUT_LOW_WATER again (false). */
    private readonly onPressure: (full: boolean) => void = () => {},
  ) {}

  private pressured = false;

  private checkPressure(): void {
    const full = this.pressured ? this.queued > OUTPUT_LOW_WATER : this.queued > OUTPUT_HIGH_WATER;
    if (full === this.pressured) return;
    this.pressured = full;
    this.onPressure(full);
  }

  write(bytes: Buffer): void {
    if (this.closed || bytes.length === 0) return;
    if (this.queued + bytes.length > this.limit) {
      if (!this.dropping) this.log(`pty: nobody reads the port; dropping module output beyond ${this.limit} bytes`);
      this.dropping = true;
      return;
    }
    this.queue.push(bytes);
    this.queued += bytes.length;
    this.checkPressure();
    if (this.inFlight === undefined && this.retryTimer === undefined) this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.queue = [];
    this.queued = 0;
    this.checkPressure();
    // The descriptor must outlive a write the thread pool is still doing.
    await this.inFlight;
  }

  private pump(): void {
    if (this.queue.length > 1 && (this.queue[0] as Buffer).length < COALESCE_BYTES) {
      // What queued up while the last write was under way leaves in one write (bursts stay whole).
      let count = 1;
      let size = (this.queue[0] as Buffer).length;
      while (count < this.queue.length && size + (this.queue[count] as Buffer).length <= COALESCE_BYTES) size += (this.queue[count++] as Buffer).length;
      if (count > 1) this.queue.splice(0, count, Buffer.concat(this.queue.slice(0, count), size));
    }
    const head = this.queue[0];
    if (head === undefined || this.closed) return;
    this.inFlight = new Promise<void>((resolve) => {
      fsWrite(this.fd, head, 0, head.length, null, (err, written) => {
        this.inFlight = undefined;
        resolve();
        if (this.closed) return;
        if (err !== null) {
          if (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK') {
            this.retryTimer = setTimeout(() => {
              this.retryTimer = undefined;
              this.pump();
            }, this.backoffMs);
            this.backoffMs = Math.min(this.backoffMs * 2, 50);
          } else {
            this.log(`pty: write failed (${err.message}); output dropped`);
            this.queue = [];
            this.queued = 0;
            this.checkPressure();
          }
          return;
        }
        this.backoffMs = 1;
        this.queued -= written;
        if (written < head.length) this.queue[0] = head.subarray(written);
        else this.queue.shift();
        if (this.queued === 0) this.dropping = false;
        this.checkPressure();
        this.pump();
      });
    });
  }
}

// ---------------------------------------------------------------- the symlink

/** Like `ln -sf`, but never replaces a file that is not a symlink. */
async function replaceSymlink(link: string, target: string): Promise<void> {
  try {
    await symlink(target, link);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create ${link}: ${(err as Error).message}`);
  }
  if (!(await lstat(link)).isSymbolicLink()) throw new Error(`${link} exists and is not a symlink; not replacing it`);
  await unlink(link);
  await symlink(target, link);
}

/** Remove the link unless someone pointed it elsewhere meanwhile (another emulator took the name). */
async function removeOwnSymlink(link: string, target: string): Promise<void> {
  try {
    if ((await readlink(link)) === target) await unlink(link);
  } catch {
    // Already gone.
  }
}
