import { isFinalResult } from '../../at/result-codes.js';
import { ModuleOutputParser, type ModuleEvent } from '../../at/module-output-framer.js';

/**
 * What the inspector's log shows: the AT line cut into entries a person reads — host lines,
 * module lines (echoes and URCs told apart), the CIPSEND prompt, and data blocks by size. It
 * watches the line from outside, so it frames the module's output with the driver's own pure
 * framer (length-announced blocks are cut by their length, never by guessing) and the host's bytes
 * by CR, except where the module is taking raw data (after a `>` prompt, in transparent mode).
 */
export type LogEntryKind =
  /** A command line from the host, or a response line from the module. */
  | 'line'
  /** The module's echo of a host line. */
  | 'echo'
  /** A module line that came while no command was in progress (or a completion after OK). */
  | 'urc'
  /** The CIPSEND `>` prompt. */
  | 'prompt'
  /** Raw bytes: CIPSEND data, pushed or read socket data, transparent-mode data. */
  | 'data';

export interface LogEntry {
  /** Increasing from 1 per modem; a gap means entries were dropped. */
  readonly seq: number;
  /** ms since the epoch. */
  readonly t: number;
  readonly dir: 'host' | 'module';
  readonly kind: LogEntryKind;
  /** The line, or for data the header that announced it (`+RECEIVE,0,5`), as latin1. */
  readonly text: string;
  /** Data: how many bytes. */
  readonly size?: number;
  /** Data: the bytes (base64), at most MAX_SHOWN_BYTES of them. */
  readonly bytes?: string;
  /** Data: more than MAX_SHOWN_BYTES, only the first are in `bytes`. */
  readonly truncated?: boolean;
  /** Pushed data arrives unsolicited, like a URC. */
  readonly urc?: boolean;
}

/** The bytes a data entry carries for display (the transcript download has them all). */
export const MAX_SHOWN_BYTES = 4096;
/** A host "line" longer than this without CR is shown as data. */
const MAX_HOST_LINE = 4096;

export interface FramerView {
  /** The module is in transparent data mode (every byte is data). */
  readonly inDataMode: boolean;
}

export type NewEntry = Omit<LogEntry, 'seq' | 't'>;

export class LogFramer {
  private readonly parser: ModuleOutputParser;
  private hostLine: number[] = [];
  private readonly recentHostLines: string[] = [];
  private commandInProgress = false;
  private promptOpen = false;
  private passthrough = false;

  constructor(
    private readonly view: FramerView,
    private readonly emit: (entry: NewEntry) => void,
  ) {
    this.parser = new ModuleOutputParser((event) => this.moduleEvent(event));
  }

  host(bytes: Buffer): void {
    if (this.view.inDataMode || this.promptOpen) {
      this.flushHostLine();
      this.emit(dataEntry('host', '', bytes));
      return;
    }
    for (const byte of bytes) {
      if (byte === 0x0d) {
        this.endHostLine();
        continue;
      }
      if (byte === 0x0a && this.hostLine.length === 0) continue;
      this.hostLine.push(byte);
      if (this.hostLine.length >= MAX_HOST_LINE) this.flushHostLine();
    }
  }

  module(bytes: Buffer): void {
    if (this.view.inDataMode !== this.passthrough) {
      this.passthrough = this.view.inDataMode;
      if (this.passthrough) this.parser.enterPassthrough();
      else this.parser.leavePassthrough();
    }
    this.parser.feed(bytes);
  }

  private endHostLine(): void {
    const text = Buffer.from(this.hostLine).toString('latin1');
    this.hostLine = [];
    if (text === '') return;
    this.recentHostLines.push(text);
    if (this.recentHostLines.length > 4) this.recentHostLines.shift();
    if (/^a[t/]/i.test(text)) {
      this.commandInProgress = true;
      if (/^at\+cipsend=/i.test(text)) this.parser.expectPrompt();
    }
    this.emit({ dir: 'host', kind: 'line', text });
  }

  /** Bytes without a CR that are not a line (a long paste, binary): shown as data. */
  private flushHostLine(): void {
    if (this.hostLine.length === 0) return;
    const bytes = Buffer.from(this.hostLine);
    this.hostLine = [];
    this.emit(dataEntry('host', '', bytes));
  }

  private moduleEvent(event: ModuleEvent): void {
    switch (event.kind) {
      case 'line': {
        this.promptOpen = false;
        const text = event.text;
        const echoAt = this.recentHostLines.indexOf(text);
        if (echoAt >= 0) {
          this.recentHostLines.splice(0, echoAt + 1);
          this.emit({ dir: 'module', kind: 'echo', text });
          return;
        }
        // SEND OK / SEND FAIL: older SIMCom firmware (SIM800) ends a send so; a recording may hold them.
        const final = isFinalResult(text) || /^SEND (OK|FAIL)\b/.test(text);
        const kind = this.commandInProgress ? 'line' : 'urc';
        if (final) {
          this.commandInProgress = false;
          this.parser.cancelPrompt();
        }
        this.emit({ dir: 'module', kind, text });
        return;
      }
      case 'prompt':
        this.promptOpen = true;
        this.emit({ dir: 'module', kind: 'prompt', text: '>' });
        return;
      case 'push': {
        const header =
          event.header === 'ipd' ? `+IPD${event.bytes.length}` : `+RECEIVE,${event.link ?? '?'},${event.bytes.length}`;
        const from = event.from === undefined ? '' : ` from ${event.from.address}:${event.from.port}`;
        this.emit({ ...dataEntry('module', `${header}${from}`, event.bytes), urc: true });
        return;
      }
      case 'rxget':
        this.emit(dataEntry('module', `+CIPRXGET: ${event.mode},${event.link},${event.bytes.length},${event.rest}`, event.bytes));
        return;
      case 'passthrough':
        this.emit(dataEntry('module', '', event.bytes));
        return;
      case 'echo':
      case 'close-candidate':
        return;
    }
  }
}

function dataEntry(dir: 'host' | 'module', text: string, bytes: Buffer): NewEntry {
  const shown = bytes.subarray(0, MAX_SHOWN_BYTES);
  return {
    dir,
    kind: 'data',
    text,
    size: bytes.length,
    bytes: shown.toString('base64'),
    ...(bytes.length > MAX_SHOWN_BYTES ? { truncated: true } : {}),
  };
}
