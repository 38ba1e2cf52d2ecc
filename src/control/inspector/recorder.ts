import { traceLine } from '../../at/transcript.js';
import type { ControlTarget } from '../target.js';
import { LogFramer, type LogEntry } from './framer.js';

/**
 * What the inspector keeps of one modem's AT line, from when it started watching: the raw chunks
 * (for the transcript download) and the framed entries (for the page's log). Both are bounded —
 * the oldest go first, and how many went is counted and said (in the page and the transcript).
 */
export const MAX_RAW_BYTES = 1024 * 1024;
export const MAX_ENTRIES = 2000;

interface RawChunk {
  readonly t: number;
  readonly dir: 'host' | 'module';
  readonly bytes: Buffer;
}

export type EntryListener = (entry: LogEntry) => void;

export class LineRecorder {
  private readonly raw: RawChunk[] = [];
  private rawBytes = 0;
  /** Raw chunks dropped from the front (the transcript does not start at the beginning then). */
  droppedChunks = 0;
  private readonly entries: LogEntry[] = [];
  private seq = 0;
  private readonly listeners = new Set<EntryListener>();
  private readonly started = Date.now();
  private readonly framer: LogFramer;
  private readonly onInput = (bytes: Buffer): void => this.record('host', bytes);
  private readonly onOutput = (bytes: Buffer): void => this.record('module', bytes);

  constructor(readonly target: ControlTarget) {
    this.framer = new LogFramer(target.modem, (entry) => {
      const full: LogEntry = { seq: ++this.seq, t: Date.now(), ...entry };
      this.entries.push(full);
      if (this.entries.length > MAX_ENTRIES) this.entries.shift();
      for (const listener of this.listeners) listener(full);
    });
    target.line.on('input', this.onInput);
    target.line.on('output', this.onOutput);
  }

  /** The entries kept, oldest first. */
  backlog(): readonly LogEntry[] {
    return this.entries;
  }

  subscribe(listener: EntryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The recorded line in the `--trace` format (`>>` host, `<<` module, `# t=` seconds): a golden
   * transcript that replays as a test (src/at/transcript.ts).
   */
  transcript(): string {
    const out = [
      `# a76xx inspector transcript of modem ${this.target.id} (${this.target.modem.dialect.name}), recorded from ${new Date(this.started).toISOString()}`,
      '# >> host bytes, << module bytes (transcript format, src/at/transcript.ts); # t= seconds since the recording started',
    ];
    if (this.droppedChunks > 0) out.push(`# the first ${this.droppedChunks} chunks were dropped (more than ${MAX_RAW_BYTES} bytes recorded)`);
    let lastStamp = -1;
    for (const chunk of this.raw) {
      const ms = chunk.t - this.started;
      if (ms !== lastStamp) {
        lastStamp = ms;
        out.push(`# t=${(ms / 1000).toFixed(3)}`);
      }
      out.push(traceLine(chunk.dir, chunk.bytes));
    }
    return `${out.join('\n')}\n`;
  }

  close(): void {
    this.target.line.off('input', this.onInput);
    this.target.line.off('output', this.onOutput);
    this.listeners.clear();
  }

  private record(dir: 'host' | 'module', bytes: Buffer): void {
    const copy = Buffer.from(bytes);
    this.raw.push({ t: Date.now(), dir, bytes: copy });
    this.rawBytes += copy.length;
    while (this.rawBytes > MAX_RAW_BYTES && this.raw.length > 1) {
      this.rawBytes -= (this.raw.shift() as RawChunk).bytes.length;
      this.droppedChunks++;
    }
    if (dir === 'host') this.framer.host(copy);
    else this.framer.module(copy);
  }
}
