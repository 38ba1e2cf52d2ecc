/**
 * Byte-exact tracing of the AT line through `node:diagnostics_channel`: every chunk the host writes
 * is published on `a76xx:at:tx`, every chunk the module prints on `a76xx:at:rx`, as
 * `{ bytes, time, port }`. Publishing costs nothing while nobody subscribes.
 *
 * `TranscriptRecorder` turns the two channels into the golden-transcript format of
 * `src/at/transcript.ts` (`>>` host bytes, `<<` module bytes), which `test/driver` replays.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { traceLine } from '../at/transcript.js';

export interface AtTraceMessage {
  readonly bytes: Buffer;
  /** `Date.now()` when the chunk was written or received. */
  readonly time: number;
  /** The channel's name (its device string, unless given another). */
  readonly port: string;
}

export const TX_CHANNEL_NAME = 'a76xx:at:tx';
export const RX_CHANNEL_NAME = 'a76xx:at:rx';

export const txChannel = diagnostics_channel.channel(TX_CHANNEL_NAME);
export const rxChannel = diagnostics_channel.channel(RX_CHANNEL_NAME);

export function publishTx(port: string, bytes: Buffer): void {
  if (txChannel.hasSubscribers) txChannel.publish({ bytes, time: Date.now(), port } satisfies AtTraceMessage);
}

export function publishRx(port: string, bytes: Buffer): void {
  if (rxChannel.hasSubscribers) rxChannel.publish({ bytes, time: Date.now(), port } satisfies AtTraceMessage);
}

/** Records the traffic of one port (or all ports) as transcript lines until `stop()`. */
export class TranscriptRecorder {
  private readonly lines: string[] = [];
  private readonly onTx = (message: unknown): void => this.record('host', message);
  private readonly onRx = (message: unknown): void => this.record('module', message);
  private stopped = false;

  constructor(private readonly port?: string) {
    diagnostics_channel.subscribe(TX_CHANNEL_NAME, this.onTx);
    diagnostics_channel.subscribe(RX_CHANNEL_NAME, this.onRx);
  }

  /** The transcript so far (one line per chunk, newline-terminated). */
  get text(): string {
    return this.lines.map((l) => `${l}\n`).join('');
  }

  /** Unsubscribe and return the transcript. */
  stop(): string {
    if (!this.stopped) {
      this.stopped = true;
      diagnostics_channel.unsubscribe(TX_CHANNEL_NAME, this.onTx);
      diagnostics_channel.unsubscribe(RX_CHANNEL_NAME, this.onRx);
    }
    return this.text;
  }

  private record(direction: 'host' | 'module', message: unknown): void {
    const m = message as AtTraceMessage;
    if (this.port !== undefined && m.port !== this.port) return;
    if (m.bytes.length > 0) this.lines.push(traceLine(direction, m.bytes));
  }
}
