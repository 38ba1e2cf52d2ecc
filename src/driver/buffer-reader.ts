/**
 * Buffer mode (`AT+CIPRXGET=1`, spec §2.2.5): a link's data waits in the module until the host
 * reads it with `AT+CIPRXGET=2,<link>,1500`. One reader per socket, shared by TcpSocket and
 * UdpSocket: it reads while the module holds data and its consumer wants it.
 *
 * Reads are lean: always the largest the module allows (1500, spec §0.3), no `AT+CIPRXGET=4`
 * size query (the answer's `<rest>` says whether more waits), and the next read is asked for
 * synchronously while the previous answer's `OK` is parsed (`Modem.readThen`), so it is on the
 * line with no timer or promise hop between. It is never written before that `OK`: the module
 * takes one command line at a time (spec §1.2, "host must wait for the final result").
 */
import { MAX_READ, type BufferRead, type Modem } from './modem.js';
import type { RemoteAddress } from '../at/module-output-framer.js';
import { toError } from '../common/errors.js';

export interface BufferReadConsumer {
  /** Whether to read (more) for `link` now: the socket is still on it and wants data. */
  wants(link: number): boolean;
  deliver(bytes: Buffer, from: RemoteAddress | undefined): void;
  /** A read failed (not "No data"): reading stopped. */
  failed(error: Error): void;
  /** Reading stopped because the module holds nothing more or the consumer wants no more. */
  stopped(): void;
}

export class BufferReader {
  /** The module (may) hold data for the link: a notice came, or the last read left some. */
  private held = false;
  private reading = false;
  /** Counts notices, so one that came while a read was out is not lost. */
  private notices = 0;

  constructor(
    private readonly modem: () => Pick<Modem, 'readThen'>,
    private readonly consumer: BufferReadConsumer,
  ) {}

  get holdsData(): boolean {
    return this.held;
  }

  /** A read is on the line (or its answer is being handled). */
  get busy(): boolean {
    return this.reading;
  }

  /** `+CIPRXGET: 1,<link>`, or the link's close (what it held stays readable, spec §3.3). */
  notice(): void {
    this.notices++;
    this.held = true;
  }

  /** Start reading `link` if data waits, the consumer wants it and no read is out. */
  pull(link: number): void {
    if (this.reading || !this.held || !this.consumer.wants(link)) return;
    this.reading = true;
    this.next(link);
  }

  private next(link: number): void {
    const seen = this.notices;
    const onRead = (result: BufferRead): void => {
      // A notice that came while the read was out may announce data this read did not see.
      this.held = (result.rest > 0 && result.bytes.length > 0) || this.notices !== seen;
      if (result.bytes.length > 0) this.consumer.deliver(result.bytes, result.from);
      if (this.held && this.consumer.wants(link)) {
        this.next(link);
        return;
      }
      this.reading = false;
      this.consumer.stopped();
    };
    this.modem()
      .readThen(link, MAX_READ, onRead)
      .catch((error: unknown) => {
        this.reading = false;
        this.consumer.failed(toError(error));
      });
  }
}
