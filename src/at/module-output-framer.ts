/**
 * The module-output framer: splits what the module prints into lines, the CIPSEND prompt and
 * length-framed raw blocks. Pure (no I/O, no timers); fed arbitrary chunks, it emits the same events
 * however the stream is cut.
 *
 * Framing (spec §1.4, §2.2.4, §2.2.5, §3.2):
 * - lines end with `<LF>` (any `<CR>`s before it are dropped); blank lines are skipped, so a
 *   `<CR><LF>` trailer after pushed data and the extra `<CR><LF>` after CIPRXGET=2 data vanish;
 * - `>` (optionally followed by one space) at the start of a line is the prompt, only while one is
 *   expected (`expectPrompt`);
 * - `+IPD<n>` (after an optional `RECV FROM:<ip>:<port>` line), `+RECEIVE,<link>,<n>`,
 *   `+CIPRXGET: 2,<link>,<n>,<rest>` and the SSL service's `+CCHRECV: DATA,<session>,<n>` are
 *   followed by exactly n raw bytes after their `<CR><LF>`;
 *   `+CIPRXGET: 3,<link>,<n>,<rest>` by one line of 2n hex digits;
 * - the echo of what the host sent is recognised because the host says what it sent: a command
 *   echo (`expectEcho`) at any line start, a data echo (`expectDataEcho`) right after the prompt;
 * - in passthrough (transparent data mode) every byte is data, optionally until a watched result
 *   line such as `<CR><LF>OK<CR><LF>` after `+++`;
 * - in passthrough a watched "close marker" (`<CR><LF>CLOSED<CR><LF>`, what the module prints when
 *   the peer ends a transparent link, spec §3.4 / Q2) cannot be told from data by its bytes: the
 *   parser stops there, says so (`close-candidate`) and holds everything from the marker on until
 *   the host has found out which it was (`settleHeld`).
 *
 * Payload bytes are never interpreted: a block's bytes are sliced by length before any line logic.
 * Lines are decoded as latin1 so every byte survives. Emitted buffers may share memory with the
 * chunks fed in; the parser never writes to them.
 */
import { parseIpd, parseReceive, parseRecvFrom, parseRxgetData, type RemoteAddress } from './frames/data.js';
import { framed } from './frames/framing.js';
import { parseCchDataHeader } from './ssl.js';

export type { RemoteAddress } from './frames/data.js';

export type ModuleEvent =
  /** One non-blank line, without its `<CR><LF>`. */
  | { readonly kind: 'line'; readonly text: string }
  /** The expected echo was consumed (`data` = the echo of CIPSEND data rather than of a command). */
  | { readonly kind: 'echo'; readonly data: boolean }
  /** The CIPSEND `>` prompt. */
  | { readonly kind: 'prompt' }
  /** Pushed data: `+IPD<n>` (no link number) or `+RECEIVE,<link>,<n>`; `from` from `RECV FROM:`. */
  | {
      readonly kind: 'push';
      readonly header: 'ipd' | 'receive';
      readonly link: number | undefined;
      readonly from: RemoteAddress | undefined;
      readonly bytes: Buffer;
    }
  /** A CIPRXGET=2 (raw) or =3 (hex, decoded here) read: the header's numbers and the bytes. */
  | { readonly kind: 'rxget'; readonly mode: 2 | 3; readonly link: number; readonly rest: number; readonly bytes: Buffer }
  /** A `+CCHRECV: DATA,<session>,<n>` frame of the SSL service (pushed, or read by AT+CCHRECV). */
  | { readonly kind: 'cch'; readonly session: number; readonly bytes: Buffer }
  /** Bytes in transparent data mode. */
  | { readonly kind: 'passthrough'; readonly bytes: Buffer }
  /** The watched close marker appeared in passthrough: bytes from it on are held (`settleHeld`). */
  | { readonly kind: 'close-candidate' };

export type ModuleEventSink = (event: ModuleEvent) => void;

/** A line without `<LF>` longer than this is delivered as it is (garbage must not grow memory). */
export const MAX_LINE_BYTES = 65_536;
/**
 * The largest block a header may announce (the module's own limit is 1500, spec §0.3). A header
 * announcing more is not believed: it is delivered as a plain line, so garbage cannot make the
 * parser swallow (or allocate) gigabytes.
 */
export const MAX_BLOCK_BYTES = 65_536;

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const PLUS = 0x2b;
const GT = 0x3e;
const R = 0x52;
const EMPTY = Buffer.alloc(0);

const HEX_RE = /^[0-9A-Fa-f]*$/;

interface RawBlock {
  readonly meta: RawMeta;
  readonly length: number;
  /** Collected so far when the block spans chunks (allocated once, on the first split). */
  buffer: Buffer | undefined;
  filled: number;
}

type RawMeta =
  | { readonly kind: 'push'; readonly header: 'ipd' | 'receive'; readonly link: number | undefined; readonly from: RemoteAddress | undefined }
  | { readonly kind: 'rxget'; readonly link: number; readonly rest: number }
  | { readonly kind: 'cch'; readonly session: number };

interface HexExpectation {
  readonly link: number;
  readonly length: number;
  readonly rest: number;
}

export class ModuleOutputParser {
  private readonly sink: ModuleEventSink;
  /** Unconsumed bytes of a line (or of an echo) that has not ended yet. */
  private pending: Buffer = EMPTY;
  private raw: RawBlock | undefined;
  private hexNext: HexExpectation | undefined;
  private recvFrom: RemoteAddress | undefined;
  private commandEcho: Buffer | undefined;
  private dataEcho: Buffer | undefined;
  private promptExpected = false;
  /** Just after `>`: a space may follow, then the data echo. */
  private afterPrompt = false;
  private promptSpaceSkipped = false;
  private passthrough = false;
  private passthroughEnds: readonly Buffer[] = [];
  private closeMarker: Buffer | undefined;
  /** From a close marker on, everything fed is held here until `settleHeld`. */
  private held: Buffer[] | undefined;
  private heldLength = 0;

  constructor(sink: ModuleEventSink) {
    this.sink = sink;
  }

  /** The host sent this command line (with its `<CR>`): its echo, if the module echoes, is not output. */
  expectEcho(bytes: Uint8Array): void {
    this.commandEcho = bytes.length === 0 ? undefined : Buffer.from(bytes);
  }

  /** The host wrote these data bytes after the prompt: consume their echo if it follows the prompt. */
  expectDataEcho(bytes: Uint8Array): void {
    this.dataEcho = bytes.length === 0 ? undefined : Buffer.from(bytes);
  }

  /** Forget echo expectations (the command is over; its echo did not come). */
  clearEcho(): void {
    this.commandEcho = undefined;
    this.dataEcho = undefined;
  }

  /** A `>` at a line start is the CIPSEND prompt from now until it is seen or `cancelPrompt`. */
  expectPrompt(): void {
    this.promptExpected = true;
  }

  cancelPrompt(): void {
    this.promptExpected = false;
  }

  get waitingForPrompt(): boolean {
    return this.promptExpected;
  }

  /** Transparent data mode: every byte is data from here on (takes effect at the current byte). */
  enterPassthrough(): void {
    this.passthrough = true;
    this.passthroughEnds = [];
    this.afterPrompt = false;
  }

  /**
   * In passthrough, end data mode at the first of these result texts framed as `<CR><LF>text<CR><LF>`
   * (e.g. `OK` after `+++`); the result is then delivered as a line.
   */
  endPassthroughAt(texts: readonly string[]): void {
    this.passthroughEnds = texts.map((t) => Buffer.from(framed(t), 'latin1'));
    if (this.passthrough && this.pending.length > 0) this.feed(EMPTY);
  }

  leavePassthrough(): void {
    this.passthrough = false;
    this.passthroughEnds = [];
  }

  /**
   * In passthrough, stop at `<CR><LF>text<CR><LF>` (undefined = stop watching): emit
   * `close-candidate` and hold that and everything after it until `settleHeld`.
   */
  watchCloseMarker(text: string | undefined): void {
    this.closeMarker = text === undefined ? undefined : Buffer.from(framed(text), 'latin1');
  }

  /**
   * In passthrough, hold everything from here on (as after a close candidate) until `settleHeld`:
   * after `+++` an `\r\nOK\r\n` may be data still in flight or the module's answer, which only
   * the time it came and what follows it can tell.
   */
  holdFromHere(): void {
    if (!this.passthrough || this.held !== undefined) return;
    this.held = this.pending.length > 0 ? [Buffer.from(this.pending)] : [];
    this.heldLength = this.pending.length;
    this.pending = EMPTY;
  }

  /** Bytes held since a close candidate (undefined when none is pending). */
  get heldBytes(): Buffer | undefined {
    if (this.held === undefined) return undefined;
    if (this.held.length > 1) this.held = [Buffer.concat(this.held)];
    return this.held[0] ?? EMPTY;
  }

  /**
   * Decide a close candidate: the first `dataBytes` held bytes are passthrough data; the rest is
   * parsed as command-mode output (`then: 'command'`) or as passthrough again (`then: 'data'`).
   */
  settleHeld(dataBytes: number, then: 'command' | 'data'): void {
    const held = this.heldBytes;
    if (held === undefined) return;
    this.held = undefined;
    this.heldLength = 0;
    const split = Math.max(0, Math.min(dataBytes, held.length));
    if (split > 0) this.sink({ kind: 'passthrough', bytes: held.subarray(0, split) });
    if (then === 'command') this.leavePassthrough();
    if (split < held.length) this.feed(held.subarray(split));
  }

  /**
   * In passthrough, bytes kept back because they could start a watched marker (`\r\n`, `\r\nCLO`…);
   * 0 otherwise (or while bytes are held for a decision).
   */
  get passthroughTail(): number {
    return this.passthrough && this.held === undefined && this.raw === undefined ? this.pending.length : 0;
  }

  /** The kept-back tail is data after all (the line went quiet without completing a marker). */
  releaseTail(): void {
    const tail = this.passthroughTail;
    if (tail === 0) return;
    const bytes = this.pending;
    this.pending = EMPTY;
    this.sink({ kind: 'passthrough', bytes });
  }

  get inPassthrough(): boolean {
    return this.passthrough;
  }

  /** Bytes held because the item they start has not ended yet. */
  get bufferedBytes(): number {
    return this.pending.length + (this.raw?.filled ?? 0) + this.heldLength;
  }

  /** Drop all state (the module restarted, or the transport was replaced). */
  reset(): void {
    this.pending = EMPTY;
    this.raw = undefined;
    this.hexNext = undefined;
    this.recvFrom = undefined;
    this.commandEcho = undefined;
    this.dataEcho = undefined;
    this.promptExpected = false;
    this.afterPrompt = false;
    this.passthrough = false;
    this.passthroughEnds = [];
    this.held = undefined;
    this.heldLength = 0;
  }

  feed(chunk: Uint8Array): void {
    if (this.held !== undefined) {
      if (chunk.length > 0) {
        this.held.push(Buffer.from(chunk));
        this.heldLength += chunk.length;
      }
      return;
    }
    let data: Buffer;
    if (this.pending.length === 0) data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else data = chunk.length === 0 ? this.pending : Buffer.concat([this.pending, chunk]);
    this.pending = EMPTY;
    let pos = 0;
    const end = data.length;
    while (pos < end) {
      if (this.raw !== undefined) {
        pos = this.feedRaw(data, pos);
        continue;
      }
      if (this.passthrough) {
        const next = this.feedPassthrough(data, pos);
        if (next < 0) return; // the rest is held in `pending`
        pos = next;
        continue;
      }
      if (this.afterPrompt) {
        const next = this.afterPromptStep(data, pos);
        if (next < 0) return;
        pos = next;
        continue;
      }
      const c = data[pos] as number;
      if (this.commandEcho !== undefined && c !== CR && c !== LF) {
        const matched = matchPrefix(data, pos, this.commandEcho);
        if (matched === 'partial') {
          this.pending = data.subarray(pos);
          return;
        }
        if (matched === 'full') {
          pos += this.commandEcho.length;
          this.commandEcho = undefined;
          this.sink({ kind: 'echo', data: false });
          continue;
        }
      }
      if (c === GT && this.promptExpected) {
        pos++;
        this.promptExpected = false;
        this.afterPrompt = true;
        this.promptSpaceSkipped = false;
        this.sink({ kind: 'prompt' });
        continue;
      }
      const lf = data.indexOf(LF, pos);
      if (lf < 0) {
        if (end - pos > MAX_LINE_BYTES) {
          this.line(data, pos, end);
          return;
        }
        this.pending = data.subarray(pos);
        return;
      }
      let stop = lf;
      while (stop > pos && data[stop - 1] === CR) stop--;
      const start = pos;
      pos = lf + 1;
      if (stop > start) this.line(data, start, stop);
    }
  }

  // ---------------------------------------------------------------- items

  private line(data: Buffer, start: number, stop: number): void {
    let text = data.toString('latin1', start, stop);
    // NUL bytes are line noise (a module prints them as its UART comes up at reset): not text.
    if (text.includes('\0')) {
      text = text.replaceAll('\0', '');
      if (text === '') return;
    }
    if (this.hexNext !== undefined) {
      const hex = this.hexNext;
      this.hexNext = undefined;
      if (text.length === hex.length * 2 && HEX_RE.test(text)) {
        this.sink({ kind: 'rxget', mode: 3, link: hex.link, rest: hex.rest, bytes: Buffer.from(text, 'hex') });
        return;
      }
      // Not the announced hex line: deliver it as what it is.
    }
    const first = text.charCodeAt(0);
    if (first === PLUS) {
      if (this.header(text)) return;
    } else if (first === R) {
      const from = parseRecvFrom(text);
      if (from !== undefined) {
        this.recvFrom = from;
        return;
      }
    }
    this.recvFrom = undefined;
    this.sink({ kind: 'line', text });
  }

  /** A data header: arm the raw block (or the hex line). False when the line is not one. */
  private header(text: string): boolean {
    const believable = (n: number): boolean => n <= MAX_BLOCK_BYTES;
    if (text.charCodeAt(1) === 0x49 /* I */ || text.charCodeAt(1) === SPACE) {
      const length = parseIpd(text);
      if (length !== undefined && believable(length)) {
        this.startRaw({ kind: 'push', header: 'ipd', link: undefined, from: this.takeFrom() }, length);
        return true;
      }
    } else if (text.startsWith('+RECEIVE,')) {
      const receive = parseReceive(text);
      if (receive !== undefined && believable(receive.length)) {
        this.startRaw({ kind: 'push', header: 'receive', link: receive.link, from: this.takeFrom() }, receive.length);
        return true;
      }
    } else if (text.startsWith('+CCHRECV:')) {
      const frame = parseCchDataHeader(text);
      if (frame !== undefined && believable(frame.length)) {
        this.startRaw({ kind: 'cch', session: frame.session }, frame.length);
        return true;
      }
    } else if (text.startsWith('+CIPRXGET:')) {
      const read = parseRxgetData(text);
      if (read !== undefined && believable(read.length)) {
        const { link, length, rest } = read;
        if (read.mode === 2) this.startRaw({ kind: 'rxget', link, rest }, length);
        else if (length === 0) this.sink({ kind: 'rxget', mode: 3, link, rest, bytes: EMPTY });
        else this.hexNext = { link, length, rest };
        return true;
      }
    }
    return false;
  }

  private takeFrom(): RemoteAddress | undefined {
    const from = this.recvFrom;
    this.recvFrom = undefined;
    return from;
  }

  private startRaw(meta: RawMeta, length: number): void {
    if (length === 0) {
      this.emitRaw(meta, EMPTY);
      return;
    }
    this.raw = { meta, length, buffer: undefined, filled: 0 };
  }

  private feedRaw(data: Buffer, pos: number): number {
    const raw = this.raw as RawBlock;
    const available = data.length - pos;
    const need = raw.length - raw.filled;
    if (raw.buffer === undefined && available >= need) {
      this.raw = undefined;
      this.emitRaw(raw.meta, data.subarray(pos, pos + need));
      return pos + need;
    }
    if (raw.buffer === undefined) raw.buffer = Buffer.allocUnsafe(raw.length);
    const take = Math.min(available, need);
    data.copy(raw.buffer, raw.filled, pos, pos + take);
    raw.filled += take;
    if (raw.filled === raw.length) {
      this.raw = undefined;
      this.emitRaw(raw.meta, raw.buffer);
    }
    return pos + take;
  }

  private emitRaw(meta: RawMeta, bytes: Buffer): void {
    if (meta.kind === 'push') this.sink({ kind: 'push', header: meta.header, link: meta.link, from: meta.from, bytes });
    else if (meta.kind === 'cch') this.sink({ kind: 'cch', session: meta.session, bytes });
    else this.sink({ kind: 'rxget', mode: 2, link: meta.link, rest: meta.rest, bytes });
  }

  /** Right after `>`: an optional space, then the data echo if one is expected. -1 = wait for more. */
  private afterPromptStep(data: Buffer, pos: number): number {
    if (this.dataEcho !== undefined && data[pos] === SPACE && !this.promptSpaceSkipped) {
      // `> ` then the echo, or the echo (starting with a space) right after `>`? When the echo also
      // fits one byte on (an echo of spaces fits both ways), the space is the prompt's.
      const shifted = matchPrefix(data, pos + 1, this.dataEcho);
      if (shifted === 'partial') {
        this.pending = data.subarray(pos);
        return -1;
      }
      if (shifted === 'full') {
        this.promptSpaceSkipped = true;
        return pos + 1;
      }
    }
    if (this.dataEcho !== undefined) {
      const matched = matchPrefix(data, pos, this.dataEcho);
      if (matched === 'partial') {
        this.pending = data.subarray(pos);
        return -1;
      }
      if (matched === 'full') {
        const length = this.dataEcho.length;
        this.dataEcho = undefined;
        this.afterPrompt = false;
        this.sink({ kind: 'echo', data: true });
        return pos + length;
      }
    }
    if (data[pos] === SPACE && !this.promptSpaceSkipped) {
      // `> ` (SIM800 style, spec Q11): the space belongs to the prompt, the echo may follow it.
      this.promptSpaceSkipped = true;
      return pos + 1;
    }
    this.afterPrompt = false;
    this.dataEcho = undefined;
    return pos;
  }

  /** Passthrough bytes up to a watched end; -1 = the rest is held (it may start an end marker). */
  private feedPassthrough(data: Buffer, pos: number): number {
    const ends = this.closeMarker === undefined ? this.passthroughEnds : [...this.passthroughEnds, this.closeMarker];
    if (ends.length === 0) {
      this.sink({ kind: 'passthrough', bytes: data.subarray(pos) });
      return data.length;
    }
    let hit = -1;
    let hitMarker: Buffer | undefined;
    for (const marker of ends) {
      const at = data.indexOf(marker, pos);
      if (at >= 0 && (hit < 0 || at < hit)) {
        hit = at;
        hitMarker = marker;
      }
    }
    if (hit >= 0) {
      if (hit > pos) this.sink({ kind: 'passthrough', bytes: data.subarray(pos, hit) });
      if (hitMarker === this.closeMarker) {
        const rest = Buffer.from(data.subarray(hit));
        this.held = [rest];
        this.heldLength = rest.length;
        this.sink({ kind: 'close-candidate' });
        return -1;
      }
      this.leavePassthrough();
      return hit;
    }
    // Hold back a tail that could be the start of a marker.
    let keep = 0;
    for (const marker of ends) keep = Math.max(keep, partialSuffix(data, pos, marker));
    const stop = data.length - keep;
    if (stop > pos) this.sink({ kind: 'passthrough', bytes: data.subarray(pos, stop) });
    if (keep > 0) {
      this.pending = data.subarray(stop);
      return -1;
    }
    return data.length;
  }
}

/** Does `data[pos…]` start with `expected` ('full'), stop early while matching ('partial'), or differ? */
function matchPrefix(data: Buffer, pos: number, expected: Buffer): 'full' | 'partial' | 'no' {
  const available = data.length - pos;
  const n = Math.min(available, expected.length);
  if (data.compare(expected, 0, n, pos, pos + n) !== 0) return 'no';
  return n === expected.length ? 'full' : 'partial';
}

/** Length of the longest tail of `data[pos…]` that is a proper prefix of `marker`. */
function partialSuffix(data: Buffer, pos: number, marker: Buffer): number {
  const max = Math.min(marker.length - 1, data.length - pos);
  for (let k = max; k > 0; k--) {
    if (data.compare(marker, 0, k, data.length - k, data.length) === 0) return k;
  }
  return 0;
}
