/**
 * A hand-driven module end for timing tests: the driver's AtChannel runs on a FakeClock over an
 * in-memory pair; the test writes module output, lets it arrive (`settle`), and moves the clock.
 * Nothing here sleeps on real time.
 */
import { AtChannel } from '../../../src/driver/at-channel.js';
import type { AtChannelOptions } from '../../../src/driver/at-types.js';
import { FakeClock } from '../../../src/time/clock.js';
import { createMemoryPair, type MemoryPairOptions } from '../../../src/driver/transports/memory.js';

export interface ClockedChannel {
  readonly clock: FakeClock;
  readonly channel: AtChannel;
  /** Print module output. */
  print(text: string | Buffer): Promise<void>;
  /** Everything the host wrote so far (and forget it). */
  took(): string;
  /** Move the fake clock in small steps, letting I/O run between them. */
  advance(ms: number, step?: number): Promise<void>;
  /** Transparent data the channel delivered so far. */
  readonly passthrough: () => string;
  close(): void;
}

/** Let in-memory deliveries and the promise jobs they start run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

export function clockedChannel(options: AtChannelOptions = {}, wire: MemoryPairOptions = {}): ClockedChannel {
  const clock = new FakeClock();
  const { host, module } = createMemoryPair(wire);
  let written = '';
  module.on('data', (chunk: Buffer) => (written += chunk.toString('latin1')));
  const channel = new AtChannel(host, { clock, ...options });
  let data = '';
  channel.on('passthrough', (bytes) => (data += bytes.toString('latin1')));
  return {
    clock,
    channel,
    async print(text) {
      module.write(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
      await settle();
    },
    took() {
      const out = written;
      written = '';
      return out;
    },
    async advance(ms, step = 5) {
      for (let done = 0; done < ms; done += step) {
        clock.advance(Math.min(step, ms - done));
        await settle();
      }
    },
    passthrough: () => data,
    close() {
      channel.close();
      module.destroy();
    },
  };
}

/** Put the channel in transparent data mode the way a CIPOPEN of link 0 does (`CONNECT 115200`). */
export async function enterDataMode(rig: ClockedChannel): Promise<void> {
  const open = rig.channel.command('AT+CIPOPEN=0,"TCP","127.0.0.1",7');
  await settle();
  rig.took();
  await rig.print('\r\nCONNECT 115200\r\n');
  await open;
}

/**
 * A wire that can stall: while held, what either end writes waits (its write callback too), as
 * bytes do behind a busy event loop or in a serial port's buffer; `release` lets them through.
 */
export function stallableWire(): MemoryPairOptions & { hold(): void; release(): void } {
  let held: (() => void)[] | undefined;
  return {
    schedule(deliver) {
      if (held !== undefined) held.push(deliver);
      else process.nextTick(deliver);
    },
    hold() {
      held ??= [];
    },
    release() {
      const waiting = held ?? [];
      held = undefined;
      for (const deliver of waiting) deliver();
    },
  };
}
