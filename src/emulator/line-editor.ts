import { BACKSPACE, CR, LF } from '../at/result-codes.js';
import { ByteBuilder } from '../common/byte-builder.js';

/** Longest command body after `AT` (spec §1.2). Longer lines execute nothing and answer ERROR. */
import { MAX_COMMAND_LINE } from '../at/limits.js';

/** Longest command body kept (spec §1.2). */
export const MAX_LINE = MAX_COMMAND_LINE;

export type EditorStep =
  | { readonly kind: 'echo'; readonly byte: number }
  | { readonly kind: 'line'; readonly body: string; readonly overflow: boolean }
  | { readonly kind: 'drop' };

type Phase = 'idle' | 'gotA' | 'line';

/**
 * Assembles command lines from bytes typed in command mode (spec §1.2, §1.3).
 *
 * A line starts at `AT` (any case) and ends at `<CR>`. Bytes outside a line (a stray Ctrl-Z after
 * a fixed-length send, noise) are discarded. Backspace edits the line. Everything that belongs to
 * a line is echoed as received, `<CR>` included. A body longer than MAX_LINE is not kept: the
 * line still ends at its `<CR>` and answers ERROR.
 *
 * The terminator's `<LF>` (spec §1.2: the `<LF>` after the `<CR>` that ends a line is ignored):
 * the byte right after a line's `<CR>` is the terminator's `<LF>` when it is an `<LF>` — whenever
 * it arrives (same chunk, a later one, after the `>` prompt or `CONNECT` went out) and whatever
 * mode the port entered meanwhile (command, CIPSEND data phase, transparent data) — with one
 * exception: once the data prompt is out, a host that ended its previous line with `<CR>` alone
 * (its next byte was not an `<LF>`) is a `<CR>` host, and an `<LF>` it sends after the prompt is
 * the payload's first byte. A host that ends lines with `<CR><LF>` and means an `<LF>` as the
 * first payload byte sends two (`…<CR><LF>` then `<LF>…`). See README "Line endings".
 */
export class LineEditor {
  private phase: Phase = 'idle';
  /** The line's body so far (what is over MAX_LINE is not kept). */
  private readonly body = new ByteBuilder(MAX_LINE);
  private overflow = false;
  /** A line just ended at `<CR>` and the next byte has not been seen yet. */
  private lfDue = false;
  /** How the host ended the last line whose next byte was seen: `<CR><LF>` (the default) or `<CR>`. */
  private crLfHost = true;

  /** Feed one command-mode byte; returns what it produced. A `line` step stands for the `<CR>` (echo it, then run the line). */
  feed(byte: number): EditorStep {
    if (this.lfDue && this.takeTerminatorLf(byte, false)) return DROP;
    switch (this.phase) {
      case 'idle':
        if (byte === 0x41 || byte === 0x61) {
          this.phase = 'gotA';
          return echo(byte);
        }
        return DROP;
      case 'gotA':
        if (byte === 0x54 || byte === 0x74) {
          this.phase = 'line';
          this.body.clear();
          this.overflow = false;
          return echo(byte);
        }
        if (byte === 0x41 || byte === 0x61) return echo(byte);
        this.phase = 'idle';
        if (byte === CR) this.lfDue = true;
        return byte >= 0x20 && byte < 0x7f ? echo(byte) : DROP;
      case 'line':
        return this.feedLine(byte);
    }
  }

  /** True right after a line's `<CR>`, until the next byte was offered to `takeTerminatorLf` (or `feed`). */
  get awaitingLf(): boolean {
    return this.lfDue;
  }

  /**
   * The first byte after a line's `<CR>`, in whatever mode the port is by now. Returns true when it
   * is the terminator's `<LF>` (drop it, unechoed); false when it belongs to what follows.
   * `promptOut`: the `>` prompt or `CONNECT` already went out, so the byte may be payload.
   */
  takeTerminatorLf(byte: number, promptOut: boolean): boolean {
    this.lfDue = false;
    if (byte !== LF) {
      this.crLfHost = false;
      return false;
    }
    if (promptOut && !this.crLfHost) return false;
    this.crLfHost = true;
    return true;
  }

  /**
   * The port entered data mode by itself (an accepted connection, not a command line): the next
   * byte is the host's data, whatever it is.
   */
  forgetLf(): void {
    this.lfDue = false;
  }

  /** Whether a line is being typed (so a caller knows not to interleave output). */
  get inLine(): boolean {
    return this.phase === 'line' || this.phase === 'gotA';
  }

  /** Forget a line being typed (the terminator rule and the host's line ending are kept). */
  reset(): void {
    this.phase = 'idle';
    this.body.clear();
    this.overflow = false;
  }

  private feedLine(byte: number): EditorStep {
    if (byte === CR) {
      this.phase = 'idle';
      this.lfDue = true;
      const line: EditorStep = { kind: 'line', body: this.body.text(), overflow: this.overflow };
      this.body.clear();
      this.overflow = false;
      return line;
    }
    if (byte === BACKSPACE || byte === 0x7f) {
      if (!this.overflow) this.body.pop();
      return echo(byte);
    }
    if (byte < 0x20) return DROP;
    if (this.body.full) {
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
