import { BACKSPACE, CR, LF } from '../at/result-codes.js';

/** Longest command body after `AT` (spec §1.2). Longer lines execute nothing and answer ERROR. */
export const MAX_LINE = 3071;

export type EditorStep =
  | { readonly kind: 'echo'; readonly byte: number }
  | { readonly kind: 'line'; readonly body: string; readonly overflow: boolean }
  | { readonly kind: 'drop' };

type Phase = 'idle' | 'gotA' | 'line' | 'afterCR';

/**
 * Assembles command lines from bytes typed in command mode (spec §1.2, §1.3).
 *
 * A line starts at `AT` (any case) and ends at `<CR>`; an `<LF>` right after the `<CR>` is
 * dropped unechoed, so `AT…<CR>` and `AT…<CR><LF>` both work. Bytes outside a line (a stray
 * Ctrl-Z after a fixed-length send, noise) are discarded. Backspace edits the line. Everything
 * that belongs to a line is echoed as received, `<CR>` included.
 */
export class LineEditor {
  private phase: Phase = 'idle';
  private body: number[] = [];
  private overflow = false;

  /** Feed one byte; returns what it produced. A `line` step stands for the `<CR>` (echo it, then run the line). */
  feed(byte: number): EditorStep {
    switch (this.phase) {
      case 'afterCR':
        this.phase = 'idle';
        if (byte === LF) return DROP;
        return this.feed(byte);
      case 'idle':
        if (byte === 0x41 || byte === 0x61) {
          this.phase = 'gotA';
          return echo(byte);
        }
        return DROP;
      case 'gotA':
        if (byte === 0x54 || byte === 0x74) {
          this.phase = 'line';
          this.body = [];
          this.overflow = false;
          return echo(byte);
        }
        if (byte === 0x41 || byte === 0x61) return echo(byte);
        this.phase = byte === CR ? 'afterCR' : 'idle';
        return byte >= 0x20 && byte < 0x7f ? echo(byte) : DROP;
      case 'line':
        return this.feedLine(byte);
    }
  }

  /** Whether a line is being typed (so a caller knows not to interleave output). */
  get inLine(): boolean {
    return this.phase === 'line' || this.phase === 'gotA';
  }

  reset(): void {
    this.phase = 'idle';
    this.body = [];
    this.overflow = false;
  }

  private feedLine(byte: number): EditorStep {
    if (byte === CR) {
      this.phase = 'afterCR';
      const line: EditorStep = { kind: 'line', body: Buffer.from(this.body).toString('latin1'), overflow: this.overflow };
      this.body = [];
      this.overflow = false;
      return line;
    }
    if (byte === BACKSPACE || byte === 0x7f) {
      if (this.body.length > 0 && !this.overflow) this.body.pop();
      return echo(byte);
    }
    if (byte < 0x20) return DROP;
    if (this.body.length >= MAX_LINE) {
      this.overflow = true;
      return echo(byte);
    }
    this.body.push(byte);
    return echo(byte);
  }
}

const DROP: EditorStep = { kind: 'drop' };
const ECHOES: EditorStep[] = Array.from({ length: 256 }, (_, b) => ({ kind: 'echo', byte: b }) as const);
const echo = (byte: number): EditorStep => ECHOES[byte] as EditorStep;
