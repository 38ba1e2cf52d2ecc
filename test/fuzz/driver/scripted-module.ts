/**
 * A module that answers from a script, for fuzzing the driver's AT channel over the in-memory
 * transport: each command line the host writes gets the next reply (its frames, the CIPSEND data
 * phase, the frames after it), with noise (URCs, pushed blocks, garbage) put between frames by a
 * seeded choice, and every output cut into chunks that each arrive in their own I/O turn. It
 * records what the host wrote so a test can check it.
 */
import type { Duplex } from 'node:stream';
import { cutBytes, type Chunking } from './output.js';

export interface Reply {
  /** Printed when the command line has arrived (after its echo, when echo is on). */
  readonly frames: readonly Buffer[];
  /** The CIPSEND data phase: the module takes exactly `length` bytes, then prints `after`. */
  readonly data?: { readonly length: number; readonly after: readonly Buffer[] };
  /** The module restarts after printing the frames: echo is on again. */
  readonly reboot?: boolean;
}

export interface ScriptedModuleOptions {
  readonly replies: readonly Reply[];
  /** The module echoes command lines (ATE1) from the start. */
  readonly echo: boolean;
  readonly chunking: Chunking;
  /** Frames to print before a frame (none between the prompt and the data's echo: the module holds URCs then). */
  readonly noise: () => readonly Buffer[];
  /** Hostile runs: change a frame before it is printed (cut it short, corrupt it). */
  readonly mutate?: (frame: Buffer) => Buffer;
}

const CR = 0x0d;

export class ScriptedModule {
  /** Command lines the host wrote (without `<CR>`), in order. */
  readonly lines: string[] = [];
  /** Data the host wrote in each data phase. */
  readonly data: Buffer[] = [];
  /** Every frame printed (noise included), in order. */
  readonly printed: Buffer[] = [];
  private readonly end: Duplex;
  private readonly options: ScriptedModuleOptions;
  private next = 0;
  private echo: boolean;
  private inbox: Buffer = Buffer.alloc(0);
  private dataWanted: { length: number; after: readonly Buffer[] } | undefined;
  private readonly outbox: Buffer[] = [];
  private writing = false;
  private drained: (() => void)[] = [];

  constructor(end: Duplex, options: ScriptedModuleOptions) {
    this.end = end;
    this.options = options;
    this.echo = options.echo;
    end.on('data', (chunk: Buffer) => this.input(chunk));
    end.on('error', () => {});
  }

  /** Print frames now, with noise before each frame from index `noiseFrom` on. */
  print(frames: readonly Buffer[], noiseFrom = 0): void {
    const out: Buffer[] = [];
    for (const [i, frame] of frames.entries()) {
      if (i >= noiseFrom) out.push(...this.options.noise());
      out.push(this.options.mutate === undefined ? frame : this.options.mutate(frame));
    }
    this.printed.push(...out);
    const bytes = Buffer.concat(out);
    this.outbox.push(...cutBytes(bytes, this.options.chunking));
    this.pump();
  }

  /** Resolves once everything printed so far has been written to the transport. */
  flushed(): Promise<void> {
    if (!this.writing && this.outbox.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /** Replies not used yet. */
  get repliesLeft(): number {
    return this.options.replies.length - this.next;
  }

  private input(chunk: Buffer): void {
    this.inbox = this.inbox.length === 0 ? chunk : Buffer.concat([this.inbox, chunk]);
    for (;;) {
      const wanted = this.dataWanted;
      if (wanted !== undefined) {
        if (this.inbox.length < wanted.length) return;
        const data = this.inbox.subarray(0, wanted.length);
        this.data.push(data);
        this.inbox = this.inbox.subarray(wanted.length);
        this.dataWanted = undefined;
        // The data's echo comes right after the prompt; URCs the module held during the data
        // phase may come out after it.
        if (this.echo) this.print([data, ...wanted.after], 1);
        else this.print(wanted.after);
        continue;
      }
      const cr = this.inbox.indexOf(CR);
      if (cr < 0) return;
      const line = this.inbox.toString('latin1', 0, cr);
      this.inbox = this.inbox.subarray(cr + 1);
      this.command(line);
    }
  }

  private command(line: string): void {
    this.lines.push(line);
    const reply = this.options.replies[this.next++];
    if (this.echo) this.print([Buffer.from(`${line}\r`, 'latin1')]);
    if (reply === undefined) return;
    // Noise goes before frames, so nothing comes between the prompt (the last frame) and the data.
    this.print(reply.frames);
    if (reply.data !== undefined) this.dataWanted = { length: reply.data.length, after: reply.data.after };
    if (reply.reboot === true) {
      this.echo = true;
      this.dataWanted = undefined;
    }
  }

  private pump(): void {
    if (this.writing) return;
    const chunk = this.outbox.shift();
    if (chunk === undefined) {
      for (const resolve of this.drained.splice(0)) resolve();
      return;
    }
    this.writing = true;
    setImmediate(() => {
      this.writing = false;
      if (!this.end.destroyed) this.end.write(chunk);
      this.pump();
    });
  }
}
