import { closeSync, openSync, writeSync } from 'node:fs';
import { traceLine, type TraceDirection } from '../at/transcript.js';
import { realClock, type Clock } from './clock.js';

/**
 * A trace of the AT line: every byte, direction-tagged and timestamped, in the golden-transcript
 * format of `src/at/transcript.ts`, so a user's trace replays as a test as it is:
 *
 *   # a76xx trace …                 header comments
 *   # t=0.000                       seconds since the trace started (a comment: replay ignores it)
 *   >> AT+CSQ\r                     bytes from the host
 *   << AT+CSQ\r\r\n+CSQ: 20,99\r\n  bytes from the module
 *
 * A `# t=` line is written before a chunk whenever the time moved on by a millisecond or more.
 */
export interface TraceWriterOptions {
  readonly clock?: Clock;
  /** Write `# t=` lines (default true). */
  readonly timestamps?: boolean;
  /** Comment lines written first (without the `# `). */
  readonly header?: readonly string[];
}

export class TraceWriter {
  private readonly clock: Clock;
  private readonly timestamps: boolean;
  private readonly start: number;
  private lastStamp = -1;

  constructor(
    private readonly write: (text: string) => void,
    options: TraceWriterOptions = {},
  ) {
    this.clock = options.clock ?? realClock;
    this.timestamps = options.timestamps ?? true;
    this.start = this.clock.now();
    for (const line of options.header ?? []) this.write(`# ${line}\n`);
  }

  /** Bytes the host sent. */
  host(bytes: Uint8Array): void {
    this.chunk('host', bytes);
  }

  /** Bytes the module printed. */
  module(bytes: Uint8Array): void {
    this.chunk('module', bytes);
  }

  /** A comment line (control-plane events, notes). */
  note(text: string): void {
    this.stamp();
    for (const line of text.split('\n')) this.write(`# ${line}\n`);
  }

  private chunk(direction: TraceDirection, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.stamp();
    this.write(`${traceLine(direction, bytes)}\n`);
  }

  private stamp(): void {
    if (!this.timestamps) return;
    const ms = Math.floor(this.clock.now() - this.start);
    if (ms === this.lastStamp) return;
    this.lastStamp = ms;
    this.write(`# t=${(ms / 1000).toFixed(3)}\n`);
  }
}

/** What a trace listens to: a port with host bytes (`input`) and module bytes (`output`). */
export interface TracedPort {
  on(event: 'input' | 'output', listener: (bytes: Buffer) => void): unknown;
  off(event: 'input' | 'output', listener: (bytes: Buffer) => void): unknown;
}

/** Feed a port's traffic to a writer; returns the function that stops it. */
export function traceInto(port: TracedPort, writer: TraceWriter): () => void {
  const host = (bytes: Buffer): void => writer.host(bytes);
  const module = (bytes: Buffer): void => writer.module(bytes);
  port.on('input', host);
  port.on('output', module);
  return () => {
    port.off('input', host);
    port.off('output', module);
  };
}

/**
 * A trace file (created or truncated). Writes are synchronous so the file is complete whenever the
 * process stops, however it stops.
 */
export function openTraceFile(path: string, options: TraceWriterOptions = {}): { writer: TraceWriter; close(): void } {
  let fd: number | undefined = openSync(path, 'w', 0o644);
  const writer = new TraceWriter((text) => {
    if (fd !== undefined) writeSync(fd, text);
  }, options);
  return {
    writer,
    close() {
      if (fd === undefined) return;
      closeSync(fd);
      fd = undefined;
    },
  };
}

/** The header of a trace: what it is and how to replay it. */
export function traceHeader(description: string): string[] {
  return [
    `a76xx trace of ${description}, started ${new Date().toISOString()}`,
    '>> host bytes, << module bytes (transcript format, src/at/transcript.ts); # t= seconds since the start',
  ];
}
